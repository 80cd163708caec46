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
