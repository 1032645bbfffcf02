"""The native prover's arithmetic against the Python BN254 code (verifier/bn254.py, py_ecc for G2),
on both of its backends (BMI2/ADX assembly and the portable u128 one): field products and
inverses in Fq, Fr and Fq2, scalar multiples in G1 and G2, and GLV multi-scalar multiplications."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from py_ecc.optimized_bn128 import optimized_curve as ob
from zksolvency.prover import backends, witness_cpp
from zksolvency.verifier import bn254

G1 = (1, 2)


def _vectors(portable: bool) -> list[dict[str, object]]:
    binary = backends.native_binary()
    assert binary is not None, "the native prover is not built (make install)"
    env = {**os.environ, "ZKSOLVENCY_PROVER_PORTABLE": "1" if portable else "0"}
    out = subprocess.run([str(binary), "vectors", "7", "12"], capture_output=True, text=True, check=True, env=env).stdout
    return [json.loads(line) for line in out.splitlines()]


def _g2(k: int) -> tuple[tuple[int, int], tuple[int, int]]:
    x, y = ob.normalize(ob.multiply(ob.G2, k))
    return (int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1]))


def _g1(k: int) -> bn254.G1Point:
    """k * G1 (a finite point for 0 < k < r)."""
    p = bn254.g1_msm([G1], [k])
    assert p is not None
    return p


def _ints(v: object) -> object:
    if isinstance(v, list):
        return tuple(_ints(x) for x in v)
    return int(str(v))


@pytest.mark.parametrize("portable", [False, True], ids=["asm", "portable"])
def test_native_arithmetic_agrees_with_the_python_bn254_code(portable: bool) -> None:
    if not portable and not {"bmi2", "adx"} <= witness_cpp.cpu_flags():
        pytest.skip("this CPU has no BMI2/ADX: the assembly backend cannot run")  # never on CI's machines
    vectors = _vectors(portable)
    assert {v["backend"] for v in vectors} == {"portable-u128" if portable else "asm-bmi2-adx"}
    q, r = bn254.Q, bn254.R
    for v in vectors:
        a, b = _ints(v["a"]), _ints(v["b"])
        assert isinstance(a, int) and isinstance(b, int)
        assert _ints(v["fq_mul"]) == a * b % q and _ints(v["fq_inv"]) == pow(a, -1, q)
        x, y = _ints(v["x"]), _ints(v["y"])
        assert isinstance(x, tuple) and isinstance(y, tuple)
        assert _ints(v["fq2_mul"]) == bn254.f2_mul(x, y) and _ints(v["fq2_inv"]) == bn254.f2_inv(x)
        u, w = _ints(v["u"]), _ints(v["v"])
        assert isinstance(u, int) and isinstance(w, int) and _ints(v["fr_mul"]) == u * w % r
        k_list = v["k"]
        assert isinstance(k_list, list)
        ks = [int(k) for k in k_list]
        assert _ints(v["g1_k"]) == bn254.g1_msm([G1], [ks[0]])
        assert _ints(v["g2_k"]) == _g2(ks[0])
        g1_points = [_g1(i + 2) for i in range(3)]
        assert _ints(v["g1_msm"]) == bn254.g1_msm(g1_points, ks)
        assert _ints(v["g2_msm"]) == _g2(sum((i + 2) * k for i, k in enumerate(ks)) % r)
