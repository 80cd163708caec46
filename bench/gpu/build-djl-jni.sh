#!/usr/bin/env bash
# Builds DJL's PyTorch JNI glue (libdjl_torch.so) against a libtorch other than the one DJL pins,
# for a host that has a CUDA libtorch (for example PyTorch's Python wheel) but no network to fetch
# the CUDA build DJL would download. See docs/gpu.md.
#
# usage: bench/gpu/build-djl-jni.sh DJL_SOURCE TORCH_DIR OUT_DIR
#   DJL_SOURCE  a checkout of deepjavalibrary/djl at the tag of the DJL version in the parent pom
#               (v0.35.1); only engines/pytorch/pytorch-native, the PyTorchLibrary class and
#               api/src/main/native are read
#   TORCH_DIR   a folder with include/ and lib/libtorch.so: a libtorch download, or the `torch`
#               package folder of a Python installation (python3 -c 'import torch,os;print(os.path.dirname(torch.__file__))')
#   OUT_DIR     receives libdjl_torch.so
# Environment: JAVA_HOME (for jni.h and javac -h), JOBS (parallel compilers, default nproc),
#   CXX (default g++), DJL_JAR_DIR (a folder holding api-*.jar and pytorch-engine-*.jar, default the
#   local Maven repository), JNI_HEADER_DIR (a folder with ai_djl_pytorch_jni_PyTorchLibrary.h made
#   earlier by `javac -h`, for a host with a JRE but no javac).
set -euo pipefail
src=$1; torch=$2; out=$3
djl_version=$(sed -n 's:.*<djl.version>\(.*\)</djl.version>.*:\1:p' "$(dirname "$0")/../../pom.xml")
native=$src/engines/pytorch/pytorch-native/src/main/native
[ -d "$native" ] || { echo "no DJL native sources under $native" >&2; exit 2; }
[ -f "$torch/lib/libtorch.so" ] || { echo "no lib/libtorch.so under $torch" >&2; exit 2; }
java_home=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}
jars=${DJL_JAR_DIR:-$HOME/.m2/repository/ai/djl}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$out" "$work/include" "$work/classes" "$work/obj"

# The JNI header comes from the Java class whose native methods the library implements.
if [ -n "${JNI_HEADER_DIR:-}" ]; then
  cp "$JNI_HEADER_DIR"/ai_djl_pytorch_jni_PyTorchLibrary.h "$work/include/"
else
  cp_jars=$(find "$jars" -name "api-$djl_version.jar" -o -name "pytorch-engine-$djl_version.jar" | tr '\n' ':')
  javac -h "$work/include" -d "$work/classes" -cp "$cp_jars" \
    "$src/engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java"
fi

abi=$(grep -q _GLIBCXX_USE_CXX11_ABI=0 "$torch/share/cmake/Caffe2/Caffe2Targets.cmake" 2>/dev/null && echo 0 || echo 1)
flags=(-std=c++17 -O2 -fPIC -D_GLIBCXX_USE_CXX11_ABI=$abi -DNDEBUG -w
  -I"$work/include" -I"$src/api/src/main/native" -I"$native"
  -I"$torch/include" -I"$torch/include/torch/csrc/api/include"
  -I"$java_home/include" -I"$java_home/include/linux")
export CXX=${CXX:-g++}
ls "$native"/*.cc | xargs -P "${JOBS:-$(nproc)}" -I{} sh -c \
  'f={}; $CXX '"${flags[*]}"' -c "$f" -o "'"$work/obj"'/$(basename "$f" .cc).o"'
libs=(-ltorch -ltorch_cpu -lc10)
[ -f "$torch/lib/libtorch_cuda.so" ] && libs+=(-ltorch_cuda -lc10_cuda)
$CXX -shared -o "$out/libdjl_torch.so" "$work"/obj/*.o -L"$torch/lib" -Wl,--no-as-needed "${libs[@]}" \
  -Wl,-rpath,"$torch/lib"
echo "built $out/libdjl_torch.so for DJL $djl_version against $torch"
