# Points DJL at the libtorch of a Python PyTorch installation (CUDA or CPU) and at a JNI glue built for
# it by bench/gpu/build-djl-jni.sh. Source it:  . bench/gpu/use-python-torch.sh JNI_DIR [PYTHON]
#   JNI_DIR  the folder holding the libdjl_torch.so that build-djl-jni.sh wrote
#   PYTHON   the interpreter whose torch to use (default python3)
# Exports PYTORCH_LIBRARY_PATH, PYTORCH_VERSION, PYTORCH_FLAVOR, PYTORCH_LIBRARY_EXCLUSION, DJL_CACHE_DIR,
# LD_LIBRARY_PATH and DJL_JAVA_OPTS (-Djna.library.path=..., so that DJL finds libcudart and counts the
# GPUs); pass $DJL_JAVA_OPTS to java. See docs/gpu.md.
_jni=${1:?usage: . bench/gpu/use-python-torch.sh JNI_DIR [PYTHON]}; _py=${2:-python3}
_torch=$("$_py" -c 'import torch, os; print(os.path.dirname(torch.__file__))')
export PYTORCH_VERSION=$("$_py" -c 'import torch; print(torch.__version__.split("+")[0])')
export PYTORCH_FLAVOR=$("$_py" -c 'import torch; v = torch.version.cuda; print("cu" + v.replace(".", "") if v else "cpu")')
export PYTORCH_LIBRARY_PATH=$_torch/lib
# DJL loads every library in that folder; these need the Python interpreter or are PyTorch's own tests.
export PYTORCH_LIBRARY_EXCLUSION=$(cd "$_torch/lib" && ls | grep -E 'python|_test|backend_with_compiler|aoti_custom|^libshm' | paste -sd, -)
export DJL_CACHE_DIR=${DJL_CACHE_DIR:-$HOME/.djl.ai}
_djl=$(sed -n 's:.*<djl.version>\(.*\)</djl.version>.*:\1:p' "$(dirname "${BASH_SOURCE[0]}")/../../pom.xml")
_dir=$DJL_CACHE_DIR/pytorch/$PYTORCH_VERSION-$PYTORCH_FLAVOR-linux-x86_64
mkdir -p "$_dir" && cp "$_jni/libdjl_torch.so" "$_dir/$_djl-libdjl_torch.so"
_cudart=$(ls "$(dirname "$_torch")"/nvidia/*/lib/libcudart.so* /usr/local/cuda/lib64/libcudart.so* 2>/dev/null | head -1)
export LD_LIBRARY_PATH=$_torch/lib${_cudart:+:$(dirname "$_cudart")}${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export DJL_JAVA_OPTS=${_cudart:+-Djna.library.path=$(dirname "$_cudart")}
echo "DJL $_djl -> PyTorch $PYTORCH_VERSION ($PYTORCH_FLAVOR) in $PYTORCH_LIBRARY_PATH${_cudart:+, cudart $_cudart}"
unset _jni _py _torch _djl _dir _cudart
