class Kernels(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  def forward(self: __torch__.Kernels,
    x: Tensor) -> Tensor:
    return x
  def identity(self: __torch__.Kernels,
    x: Tensor) -> Tensor:
    return x
  def sdpa(self: __torch__.Kernels,
    q: Tensor,
    k: Tensor,
    v: Tensor,
    dropout_p: float,
    is_causal: bool,
    scale: float,
    enable_gqa: bool) -> Tensor:
    _0 = torch.scaled_dot_product_attention(q, k, v, None, dropout_p, is_causal, scale=scale, enable_gqa=enable_gqa)
    return _0
  def sdpa_masked(self: __torch__.Kernels,
    q: Tensor,
    k: Tensor,
    v: Tensor,
    mask: Tensor,
    dropout_p: float,
    is_causal: bool,
    scale: float,
    enable_gqa: bool) -> Tensor:
    _1 = torch.scaled_dot_product_attention(q, k, v, mask, dropout_p, is_causal, scale=scale, enable_gqa=enable_gqa)
    return _1
  def fused_adam(self: __torch__.Kernels,
    params: List[Tensor],
    grads: List[Tensor],
    exp_avgs: List[Tensor],
    exp_avg_sqs: List[Tensor],
    steps: List[Tensor],
    lr: float,
    beta1: float,
    beta2: float,
    weight_decay: float,
    eps: float,
    decoupled: bool) -> NoneType:
    torch._foreach_add_(steps, 1)
    if decoupled:
      torch._fused_adamw_(params, grads, exp_avgs, exp_avg_sqs, annotate(List[Tensor], []), steps, lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay, eps=eps, amsgrad=False, maximize=False)
    else:
      torch._fused_adam_(params, grads, exp_avgs, exp_avg_sqs, annotate(List[Tensor], []), steps, lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay, eps=eps, amsgrad=False, maximize=False)
    torch._foreach_zero_(grads)
    return None
  def llama_decode(self: __torch__.Kernels,
    ids: Tensor,
    attention_mask: Tensor,
    positions: Tensor,
    start: int,
    inverse_frequencies: Tensor,
    weights: List[Tensor],
    qkv_bias: List[Tensor],
    o_bias: List[Tensor],
    mlp_bias: List[Tensor],
    final_norm: Tensor,
    head: Tensor,
    cached_keys: List[Tensor],
    cached_values: List[Tensor],
    heads: int,
    kv_heads: int,
    eps: float,
    scale: float) -> Tensor:
    batch = torch.size(ids, 0)
    length = torch.size(ids, 1)
    keys_length = torch.size(attention_mask, 1)
    end = torch.add(start, length)
    if torch.eq(length, 1):
      _0 = torch.to(torch.gt(attention_mask, 0), 6)
      bias0 = torch.mul(torch.sub(_0, 1.), 3.4028234663852886e+38)
      bias1 = torch.reshape(bias0, [batch, 1, 1, keys_length])
      bias = bias1
    else:
      _1 = torch.arange(0., float(keys_length))
      key_positions = torch.reshape(_1, [1, keys_length])
      _2 = float(torch.sub(keys_length, length))
      _3 = torch.arange(_2, float(keys_length))
      query_positions = torch.reshape(_3, [length, 1])
      causal = torch.le(key_positions, query_positions)
      _4 = torch.gt(torch.to(attention_mask, 6), 0.)
      tokens = torch.reshape(_4, [batch, 1, 1, keys_length])
      _5 = torch.reshape(causal, [1, 1, length, keys_length])
      allowed = torch.logical_and(tokens, _5)
      _6 = torch.sub(torch.to(allowed, 6), 1.)
      bias2 = torch.mul(_6, 3.4028234663852886e+38)
      bias = bias2
    _7 = torch.unsqueeze(torch.to(positions, 6), 2)
    _8 = torch.reshape(inverse_frequencies, [1, 1, -1])
    angles = torch.mul(_7, _8)
    full = torch.unsqueeze(torch.cat([angles, angles], 2), 1)
    cos = torch.cos(full)
    sin = torch.sin(full)
    half = torch.size(inverse_frequencies, 0)
    hidden = torch.embedding(weights[0], ids)
    gqa = torch.ne(heads, kv_heads)
    if torch.eq(length, 1):
      grouped_bias = bias
    else:
      grouped_bias = torch.repeat(bias, [1, 1, torch.floordiv(heads, kv_heads), 1])
    layers = torch.len(cached_keys)
    hidden0 = hidden
    for i in range(layers):
      base = torch.add(1, torch.mul(9, i))
      _9 = torch.mean(torch.square(hidden0), [-1], True)
      _10 = torch.div(hidden0, torch.sqrt(torch.add(_9, eps)))
      normed = torch.mul(_10, weights[base])
      if torch.gt(torch.len(qkv_bias), 0):
        qb0 = qkv_bias[torch.mul(3, i)]
        kb0 = qkv_bias[torch.add(torch.mul(3, i), 1)]
        vb0 = qkv_bias[torch.add(torch.mul(3, i), 2)]
        qb, kb, vb = qb0, kb0, vb0
      else:
        qb, kb, vb = None, None, None
      q = torch.linear(normed, weights[torch.add(base, 1)], qb)
      k = torch.linear(normed, weights[torch.add(base, 2)], kb)
      v = torch.linear(normed, weights[torch.add(base, 3)], vb)
      _11 = torch.reshape(q, [batch, length, heads, -1])
      q0 = torch.transpose(_11, 1, 2)
      _12 = torch.reshape(k, [batch, length, kv_heads, -1])
      k0 = torch.transpose(_12, 1, 2)
      _13 = torch.reshape(v, [batch, length, kv_heads, -1])
      v0 = torch.transpose(_13, 1, 2)
      _14 = torch.mul(q0, cos)
      _15 = torch.neg(torch.narrow(q0, 3, half, half))
      _16 = [_15, torch.narrow(q0, 3, 0, half)]
      q1 = torch.add(_14, torch.mul(torch.cat(_16, 3), sin))
      _17 = torch.mul(k0, cos)
      _18 = torch.neg(torch.narrow(k0, 3, half, half))
      _19 = [_18, torch.narrow(k0, 3, 0, half)]
      k1 = torch.add(_17, torch.mul(torch.cat(_19, 3), sin))
      key_buffer = cached_keys[i]
      value_buffer = cached_values[i]
      _20 = torch.narrow(key_buffer, 2, start, length)
      _21 = torch.copy_(_20, k1)
      _22 = torch.narrow(value_buffer, 2, start, length)
      _23 = torch.copy_(_22, v0)
      all_keys = torch.narrow(key_buffer, 2, 0, end)
      all_values = torch.narrow(value_buffer, 2, 0, end)
      if gqa:
        grouped = torch.reshape(q1, [batch, kv_heads, -1, torch.size(q1, 3)])
        _g = torch.scaled_dot_product_attention(grouped, all_keys, all_values, grouped_bias, 0., False, scale=scale)
        context = torch.reshape(_g, [batch, heads, length, -1])
      else:
        context = torch.scaled_dot_product_attention(q1, all_keys, all_values, bias, 0., False, scale=scale)
      context0 = torch.reshape(torch.transpose(context, 1, 2), [batch, length, -1])
      if torch.gt(torch.len(o_bias), 0):
        ob : Optional[Tensor] = o_bias[i]
      else:
        ob = None
      _24 = torch.linear(context0, weights[torch.add(base, 4)], ob)
      hidden1 = torch.add(hidden0, _24)
      _25 = torch.mean(torch.square(hidden1), [-1], True)
      _26 = torch.div(hidden1, torch.sqrt(torch.add(_25, eps)))
      normed0 = torch.mul(_26, weights[torch.add(base, 5)])
      if torch.gt(torch.len(mlp_bias), 0):
        gb0 = mlp_bias[torch.mul(3, i)]
        ub0 = mlp_bias[torch.add(torch.mul(3, i), 1)]
        db0 = mlp_bias[torch.add(torch.mul(3, i), 2)]
        gb, ub, db = gb0, ub0, db0
      else:
        gb, ub, db = None, None, None
      gate = torch.linear(normed0, weights[torch.add(base, 6)], gb)
      up = torch.linear(normed0, weights[torch.add(base, 7)], ub)
      _27 = torch.mul(gate, torch.sigmoid(gate))
      gated = torch.mul(_27, up)
      _28 = torch.linear(gated, weights[torch.add(base, 8)], db)
      hidden0 = torch.add(hidden1, _28)
    last = torch.narrow(hidden0, 1, torch.sub(length, 1), 1)
    _29 = torch.mean(torch.square(last), [-1], True)
    _30 = torch.div(last, torch.sqrt(torch.add(_29, eps)))
    normed1 = torch.mul(_30, final_norm)
    return torch.linear(normed1, head)
  def lora_row_runs(self: __torch__.Kernels,
    result: Tensor,
    x: Tensor,
    downs: List[Tensor],
    ups: List[Tensor],
    scalings: List[float],
    runs: List[int],
    count: int) -> Tensor:
    batch = torch.size(x, 0)
    inputs = torch.reshape(x, [batch, -1, torch.size(x, -1)])
    outputs = torch.view(result, [batch, -1, torch.size(result, -1)])
    for i in range(count):
      start = runs[torch.mul(3, i)]
      end = runs[torch.add(torch.mul(3, i), 1)]
      k = runs[torch.add(torch.mul(3, i), 2)]
      rows_in = torch.reshape(torch.slice(inputs, 0, start, end), [-1, torch.size(inputs, -1)])
      rows_out = torch.view(torch.slice(outputs, 0, start, end), [-1, torch.size(outputs, -1)])
      down = torch.linear(rows_in, downs[k])
      _31 = torch.addmm_(rows_out, down, torch.t(ups[k]), beta=1, alpha=scalings[k])
    return result

  def sdpa_grouped(self: __torch__.Kernels,
    q: Tensor,
    k: Tensor,
    v: Tensor,
    dropout_p: float,
    scale: float) -> Tensor:
    batch = torch.size(q, 0)
    heads = torch.size(q, 1)
    length = torch.size(q, 2)
    grouped = torch.reshape(q, [batch, torch.size(k, 1), -1, torch.size(q, 3)])
    _g = torch.scaled_dot_product_attention(grouped, k, v, None, dropout_p, False, scale=scale)
    return torch.reshape(_g, [batch, heads, length, -1])
  def sdpa_grouped_masked(self: __torch__.Kernels,
    q: Tensor,
    k: Tensor,
    v: Tensor,
    mask: Tensor,
    dropout_p: float,
    scale: float) -> Tensor:
    batch = torch.size(q, 0)
    heads = torch.size(q, 1)
    length = torch.size(q, 2)
    kv_heads = torch.size(k, 1)
    if torch.eq(torch.size(mask, 1), 1):
      if torch.eq(torch.size(mask, 2), 1):
        rows = mask
      else:
        rows = torch.repeat(mask, [1, 1, torch.floordiv(heads, kv_heads), 1])
    else:
      _m = torch.expand(mask, [torch.size(mask, 0), heads, length, torch.size(mask, 3)])
      rows = torch.reshape(_m, [torch.size(mask, 0), kv_heads, -1, torch.size(mask, 3)])
    grouped = torch.reshape(q, [batch, kv_heads, -1, torch.size(q, 3)])
    _g = torch.scaled_dot_product_attention(grouped, k, v, rows, dropout_p, False, scale=scale)
    return torch.reshape(_g, [batch, heads, length, -1])
