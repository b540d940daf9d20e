#!/bin/sh
# Builds the native kernels (strata_kernels.c) into $1/libstrata_kernels.so, where NativeKernels finds them on the
# class path. Without gcc (or on another architecture) it says so and builds nothing: the Vector API kernels run.
out="$1"
src="$(dirname "$0")"
case "$(uname -m)" in
  x86_64) ;;
  *) echo "native kernels: not built ($(uname -m) is not x86-64); the Vector API kernels run"; exit 0 ;;
esac
if ! command -v gcc >/dev/null 2>&1; then
  echo "native kernels: not built (no gcc on PATH); the Vector API kernels run"
  exit 0
fi
mkdir -p "$out"
# -ffp-contract=off: only the explicit fused multiply-adds are fused, as in the Java reference
exec gcc -O3 -fPIC -shared -ffp-contract=off -fno-fast-math -Wall -Werror -o "$out/libstrata_kernels.so" "$src/strata_kernels.c"
