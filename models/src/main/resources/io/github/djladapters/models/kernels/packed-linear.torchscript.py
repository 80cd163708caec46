class PackedLinear(Module):
  __parameters__ = []
  __buffers__ = []
  training : bool
  def forward(self: __torch__.PackedLinear,
    x: Tensor) -> Tensor:
    return x
  def mkl_pack(self: __torch__.PackedLinear,
    weight: Tensor,
    rows: int) -> Tensor:
    return ops.mkl._mkl_reorder_linear_weight(weight, rows)
  def mkl_linear(self: __torch__.PackedLinear,
    x: Tensor,
    packed: Tensor,
    weight: Tensor,
    bias: Tensor,
    rows: int) -> Tensor:
    return ops.mkl._mkl_linear(x, packed, weight, bias, rows)
  def mkl_linear_no_bias(self: __torch__.PackedLinear,
    x: Tensor,
    packed: Tensor,
    weight: Tensor,
    rows: int) -> Tensor:
    return ops.mkl._mkl_linear(x, packed, weight, None, rows)
  def onednn_pack(self: __torch__.PackedLinear,
    weight: Tensor,
    rows: int) -> Tensor:
    return ops.mkldnn._reorder_linear_weight(weight, rows)
  def onednn_linear(self: __torch__.PackedLinear,
    x: Tensor,
    packed: Tensor,
    weight: Tensor,
    bias: Tensor,
    rows: int) -> Tensor:
    return ops.mkldnn._linear_pointwise(x, packed, bias, "none", annotate(List[Optional[number]], []), "none")
  def onednn_linear_no_bias(self: __torch__.PackedLinear,
    x: Tensor,
    packed: Tensor,
    weight: Tensor,
    rows: int) -> Tensor:
    return ops.mkldnn._linear_pointwise(x, packed, None, "none", annotate(List[Optional[number]], []), "none")
