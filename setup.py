"""Build skdeep's compiled kernels; everything else is in setup.cfg.

``skdeep/_engine/_fused.c`` does Adam's update, ReLU's derivative and the
gathering of a standardised minibatch each in one pass over memory, and the
softmax log-loss's row loops in a call each (``benchmarks/README.rst``
measures why). The extension
is optional: where it cannot be built (no C compiler), the install goes on
and the engine runs the same arithmetic in NumPy, with the same results.
"""

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# Bitwise the same results as NumPy: no fused multiply-add contraction, no
# reordering (never -ffast-math); math-errno off lets sqrt be one instruction.
# -fopenmp-simd honours the one "omp simd" reduction (the layer norms' sums)
# and links no OpenMP library.
GCC_FLAGS = ["-O3", "-ffp-contract=off", "-fno-math-errno", "-fopenmp-simd"]


class BuildExt(build_ext):
    def build_extensions(self):
        if self.compiler.compiler_type == "unix":
            for extension in self.extensions:
                extension.extra_compile_args = GCC_FLAGS
        super().build_extensions()


setup(
    ext_modules=[
        Extension("skdeep._engine._fused", ["skdeep/_engine/_fused.c"], optional=True)
    ],
    cmdclass={"build_ext": BuildExt},
)
