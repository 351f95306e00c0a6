"""The optimiser pieces of :func:`effectstudy.kernels.reml_random_slope`, each against a case
whose answer is known in closed form.

The converged REML estimates are (by design) the same from any reasonable start and do not
depend on how the optimum was approached, so these rules are not visible in the fit: the
moment start, the finite-difference gradient and Hessian, lme4's gradient check and the
safeguarded Newton polish are pinned here on quadratics (whose gradient and Hessian are
known exactly) and on per-subject lines fitted with ``np.polyfit``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from effectstudy.kernels import reml

# f(x) = 0.5 (x - c)' A (x - c) + 3: gradient A (x - c), Hessian A (eigenvalues 1.06, 3.3, 4.6)
A = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, -1.0], [0.5, -1.0, 2.0]])
C = np.array([1.0, -0.5, 2.0])


def quad(x, a=A, c=C, scale=1.0):
    d = np.asarray(x) - c
    return scale * (0.5 * float(d @ a @ d) + 3.0)


# ------------------------------------------------------------------ _grad_hess
def test_finite_difference_gradient_and_hessian_of_a_quadratic():
    """Central differences are exact on a quadratic up to rounding (about 1e-16 |f| / h^2
    = 1e-5 on the Hessian with h = 1e-5 max(1, |theta|))."""
    th = np.array([0.7, 0.2, 1.5])
    f, g, hess, at_bound = reml._grad_hess(quad, th)
    assert f == quad(th)
    np.testing.assert_allclose(g, A @ (th - C), atol=1e-8)
    np.testing.assert_allclose(hess, A, atol=1e-3)
    assert not at_bound.any()
    # large theta: the step grows with |theta| (h = 1e-5 * 300), still exact on a quadratic
    th = np.array([300.0, -200.0, 250.0])
    f, g, hess, _ = reml._grad_hess(lambda x: quad(x, c=np.zeros(3)), th)
    np.testing.assert_allclose(g, A @ th, rtol=1e-9)
    np.testing.assert_allclose(hess, A, rtol=1e-4, atol=1e-4)


def test_finite_differences_step_inside_the_bound_of_l11_and_l22():
    """l11 and l22 (not l21) closer to their bound 0 than the step h = 1e-5 are evaluated at
    h (so that theta - h stays feasible); exactly at h they are not moved."""
    seen = []

    def f(x):
        seen.append(x.copy())
        return quad(x)

    th = np.array([0.0, -1e-6, 9.9e-6])
    _, g, _, at_bound = reml._grad_hess(f, th)
    np.testing.assert_array_equal(at_bound, [True, False, True])
    np.testing.assert_array_equal(seen[0], [1e-5, -1e-6, 1e-5])
    assert min(x[0] for x in seen) >= 0 and min(x[2] for x in seen) >= 0
    np.testing.assert_allclose(g, A @ (seen[0] - C), atol=1e-8)
    # exactly at the step (1e-5 * max(1, 1e-5) = 1e-5), and between h and 2h: interior
    for v in (1e-5, 1.5e-5):
        _, _, _, at_bound = reml._grad_hess(quad, np.array([v, 0.0, v]))
        assert not at_bound.any()


def test_finite_difference_hessian_uses_the_step_h():
    """The second differences use the points x +- h (h = 1e-5 at |theta| <= 1): a kink of a
    piecewise-linear criterion 1.5 h away is not seen (Hessian 0), one within h is."""
    for kink, hess11 in ((0.5 + 1.5e-5, 0.0), (0.5 + 0.5e-5, 0.5e-5 / 1e-10)):
        def f(x, k=kink):
            return max(0.0, x[1] - k)

        _, _, hess, _ = reml._grad_hess(f, np.array([0.5, 0.5, 0.5]))
        assert hess[1, 1] == pytest.approx(hess11, rel=1e-6, abs=1e-9)
        assert not hess[[0, 2]].any()


def test_canonical_theta_keeps_a_non_negative_l11():
    """Only a negative l11 flips the first column of Lambda; l11 = 0 (a boundary fit) and a
    positive l11 keep the sign of l21; l22 is always made non-negative."""
    np.testing.assert_array_equal(reml._canonical_theta(np.array([0.0, 0.3, -0.2])),
                                  [0.0, 0.3, 0.2])
    np.testing.assert_array_equal(reml._canonical_theta(np.array([0.5, -0.3, 0.2])),
                                  [0.5, -0.3, 0.2])


# ------------------------------------------------------------------ _gradient_ok
def test_gradient_check_tolerance_on_the_newton_step_or_the_gradient():
    """lme4's check.conv.grad: converged when min(|H^-1 g|, |g|) < 2e-3 in every coordinate."""
    assert reml._gradient_ok(quad, C)
    # off the optimum by 1e-4 in theta: |H^-1 g| = 1e-4 passes although |g| = 400 * 1e-4 * ...
    big = 1000.0
    off = C + np.array([1e-4, 0.0, 0.0])
    g = big * A @ (off - C)
    assert np.abs(g).max() > 2e-3  # the gradient alone would fail
    assert reml._gradient_ok(lambda x: quad(x, scale=big), off)
    # off by 1e-2: both the step (1e-2) and the gradient (4e-2) exceed the tolerance
    assert not reml._gradient_ok(quad, C + np.array([1e-2, 0.0, 0.0]))
    # a tiny criterion scale: the gradient is below 2e-3 although the step is large
    assert reml._gradient_ok(lambda x: quad(x, scale=1e-6), C + np.array([1.0, 0.0, 0.0]))


def test_gradient_check_tolerance_is_strict():
    """A linear criterion (zero Hessian: the gradient itself is the measure) whose gradient in
    l21 is exactly 2e-3 fails, and just below passes (f(+-h) = +-tol h exactly, so the central
    difference is 2 tol h / 2h = tol)."""
    for slope, ok in ((2e-3, False), (1.9e-3, True)):
        def f(x, s=slope):
            return s * x[1]

        _, g, _, _ = reml._grad_hess(f, np.array([1.0, 0.0, 1.0]))
        assert g[1] == slope
        assert reml._gradient_ok(f, np.array([1.0, 0.0, 1.0])) is ok


def test_gradient_check_at_the_bound():
    """l11 at 0 with the criterion rising into the interior (positive gradient) is a
    boundary optimum; a negative gradient there, or a gradient in a free coordinate, is not."""
    def sep(x, c0):
        return float((x[0] - c0) ** 2 + (x[1] - 0.5) ** 2 + (x[2] - 2.0) ** 2)

    # any positive gradient at the bound passes, a small one (0.5) too
    assert reml._gradient_ok(lambda x: sep(x, -0.25), np.array([0.0, 0.5, 2.0]))
    assert not reml._gradient_ok(lambda x: sep(x, 1.0), np.array([0.0, 0.5, 2.0]))
    # the bound excuses only its own coordinate: l21 off by 0.1 (gradient 0.2) fails
    assert not reml._gradient_ok(lambda x: sep(x, -1.0), np.array([0.0, 0.6, 2.0]))


def test_gradient_check_fails_where_the_criterion_is_infinite():
    """A criterion that is infinite a step away (X'V^-1X not positive definite) is no optimum."""
    def f(x):
        return math.inf if x[1] > 0.5 + 5e-6 else quad(x, c=np.array([1.0, 0.5, 2.0]))

    assert not reml._gradient_ok(f, np.array([1.0, 0.5, 2.0]))


# ------------------------------------------------------------------ _newton
def test_newton_polish_reaches_the_interior_optimum_of_a_quadratic():
    """Four Newton steps on the finite-difference Hessian (error about 1e-5 relative) reach
    the minimum of a quadratic to about 1e-11 (each step shrinks the error by ~1e-5)."""
    start = C + np.array([0.3, -0.2, 0.4])
    th = reml._newton(quad, start)
    np.testing.assert_allclose(th, C, rtol=0, atol=1e-9)
    # a single step leaves an error of the Hessian's relative error times the distance
    one = reml._newton(quad, start, steps=1)
    assert 1e-12 < np.abs(one - C).max() < 1e-4


def test_newton_polish_stays_feasible_and_leaves_boundary_points_alone():
    """The unconstrained Newton step towards a minimum with l11 < 0 (or l22 < 0) is shortened
    (halved) until l11, l22 >= 0 and the criterion does not increase; a start within the step
    of the bound is returned unchanged (boundary optima are L-BFGS-B's)."""
    for j in (0, 2):
        c = C.copy()
        c[j] = -0.5
        start = np.array([0.4, 0.0, 0.4])
        th = reml._newton(lambda x, c=c: quad(x, c=c), start)
        assert th[0] >= 0 and th[2] >= 0
        assert quad(th, c=c) < quad(start, c=c)
    at_bound = np.array([1e-6, 0.3, 1.0])
    np.testing.assert_array_equal(reml._newton(quad, at_bound), at_bound)


def test_newton_polish_stops_after_a_failed_line_search():
    """No shortened step (down to lam = 2^-13) lowers the criterion: the point is returned and
    no further Newton iteration is tried (as many evaluations as with one iteration)."""
    start = C + 10.0

    def counting(calls):
        def f(x):
            calls.append(1)
            # the quadratic near the start, a wall 1e-3 away from it
            return quad(x) + (1e3 if np.abs(x - start).max() > 1e-3 else 0.0)
        return f

    one, four = [], []
    np.testing.assert_array_equal(reml._newton(counting(one), start.copy(), steps=1), start)
    np.testing.assert_array_equal(reml._newton(counting(four), start.copy(), steps=4), start)
    assert len(four) == len(one)


def test_newton_polish_continues_while_any_coordinate_moves():
    """A coordinate already at its optimum (its step exactly 0) does not stop the polish: the
    others are iterated to the optimum."""
    def sep(x):
        return float(2 * (x[0] - 1.0) ** 2 + x[1] ** 2 + 3 * (x[2] - 2.0) ** 2)

    th = reml._newton(sep, np.array([1.3, 0.0, 2.4]))
    np.testing.assert_allclose(th, [1.0, 0.0, 2.0], rtol=0, atol=1e-9)


def test_newton_polish_keeps_an_exact_optimum():
    """Started exactly at the minimum of a function that is flat to rounding there, the step
    is accepted only if the criterion does not increase; the result stays at the optimum."""
    th = reml._newton(quad, C.copy())
    np.testing.assert_allclose(th, C, rtol=0, atol=1e-9)
    assert quad(th) <= quad(C)


# ------------------------------------------------------------------ _moment_start
def _lines(g, t, r):
    """Sums that reml_random_slope passes to _moment_start, from rows."""
    m = g.max() + 1
    return (np.bincount(g, minlength=m).astype(float), np.bincount(g, t, m),
            np.bincount(g, t * t, m), np.bincount(g, r, m), np.bincount(g, r * t, m),
            np.bincount(g, r * r, m))


def _expected_start(g, t, r, use):
    """The moment start written out on rows: per-subject least-squares lines (np.polyfit) of
    the subjects in ``use``; sigma^2 pooled over their residual degrees of freedom; D = spread
    of the lines minus the average sampling covariance sigma^2 (Z'Z)^-1, variances floored at
    1e-3 of the spread, correlation clipped to +-0.99; theta = Cholesky factor of D / sigma^2."""
    coefs, rss, dof, zinv = [], 0.0, 0, []
    for i in use:
        ti, ri = t[g == i], r[g == i]
        b1, b0 = np.polyfit(ti, ri, 1)
        coefs.append([b0, b1])
        rss += float(np.sum((ri - b0 - b1 * ti) ** 2))
        dof += ti.size - 2
        z = np.column_stack([np.ones_like(ti), ti])
        zinv.append(np.linalg.inv(z.T @ z))
    s2 = rss / dof if dof else 1.0
    c = np.cov(np.array(coefs).T)
    v = s2 * np.mean(zinv, axis=0)
    d00 = max(c[0, 0] - v[0, 0], 1e-3 * c[0, 0])
    d11 = max(c[1, 1] - v[1, 1], 1e-3 * c[1, 1])
    lim = 0.99 * math.sqrt(d00 * d11)
    d01 = min(max(c[0, 1] - v[0, 1], -lim), lim)
    l11 = math.sqrt(d00 / s2)
    l21 = d01 / s2 / l11
    return np.array([l11, l21, math.sqrt(max(d11 / s2 - l21**2, 1e-8))])


def _subjects(b0, b1, e, times=(0.0, 1.0, 2.0, 4.0)):
    """Rows of subjects with lines b0 + b1 t plus e_i times a pattern orthogonal to (1, t)."""
    t0 = np.array(times)
    zz = np.column_stack([np.ones_like(t0), t0])
    pat = np.linalg.qr(np.column_stack([zz, [1.0, -2.0, 0.5, 3.0][:t0.size]]))[0][:, -1]
    g = np.repeat(np.arange(len(b0)), t0.size)
    t = np.tile(t0, len(b0))
    r = np.concatenate([b0[i] + b1[i] * t0 + e[i] * pat for i in range(len(b0))])
    return g, t, r


def test_moment_start_from_per_subject_lines():
    b0 = np.array([1.0, -2.0, 3.0, 0.5, -1.5, 2.5])
    b1 = np.array([0.5, 0.2, -0.3, 0.8, -0.6, 0.1])
    e = np.array([0.3, -0.4, 0.2, 0.5, -0.1, 0.3])
    g, t, r = _subjects(b0, b1, e)
    # degenerate subjects add nothing: one row (6), two rows at times 4e-6 apart (7), whose
    # n stt - st^2 = 1.6e-11 is below 1e-12 * n stt = 3.6e-11 (t = 3: relative precision of
    # the sums); a subject with two rows (8) has a line but no residual degree of freedom
    # and one with three rows (9) has one residual degree of freedom
    g = np.r_[g, 6, 7, 7, 8, 8, 9, 9, 9]
    t = np.r_[t, 2.0, 3.0, 3.0 + 4e-6, 0.0, 3.0, 0.0, 1.0, 3.0]
    r = np.r_[r, 50.0, 1.0, -40.0, 0.7, -1.1, 0.2, 1.4, 0.9]
    got = reml._moment_start(*_lines(g, t, r))
    exp = _expected_start(g, t, r, use=[0, 1, 2, 3, 4, 5, 8, 9])
    np.testing.assert_allclose(got, exp, rtol=1e-9)
    # the interior case: neither floored nor clipped
    assert exp[2] > 1e-3 and abs(exp[1]) / math.hypot(exp[1], exp[2]) < 0.9


def test_moment_start_floors_and_clips_the_spread():
    """Lines that spread less than their sampling noise: variances floored at 1e-3 of the
    spread, the correlation clipped at +-0.99 and, when the residuals are large, the squared
    l22 floored at 1e-8."""
    b0 = np.array([1.0, 1.1, 0.9, 1.05])
    b1 = 2 * b0 - 1.5  # perfectly correlated with b0
    for sign in (1.0, -1.0):
        # times centred (sum t = 0): no sampling covariance between intercept and slope
        g, t, r = _subjects(b0, sign * b1, np.array([1.5, -1.2, 1.4, 1.8]),
                            times=(-2.0, -1.0, 1.0, 2.0))
        got = reml._moment_start(*_lines(g, t, r))
        np.testing.assert_allclose(got, _expected_start(g, t, r, use=range(4)), rtol=1e-9)
        # correlation of the floored variances: l21 / sqrt(l21^2 + l22^2) = +-0.99
        assert got[1] / math.hypot(got[1], got[2]) == pytest.approx(sign * 0.99, rel=1e-9)
    g, t, r = _subjects(b0, b1, np.array([30.0, -20.0, 25.0, 40.0]))
    got = reml._moment_start(*_lines(g, t, r))
    np.testing.assert_allclose(got, _expected_start(g, t, r, use=range(4)), rtol=1e-9)
    assert got[2] == 1e-4


def test_moment_start_with_two_rows_per_subject_uses_unit_sigma():
    """No subject has a residual degree of freedom: sigma^2 = 1 in the moment formulas."""
    b0 = np.array([1.0, -2.0, 3.0, 0.5])
    b1 = np.array([0.5, 0.2, -0.3, 0.8])
    g, t, r = _subjects(b0, b1, np.zeros(4), times=(0.0, 2.0))
    got = reml._moment_start(*_lines(g, t, r))
    np.testing.assert_allclose(got, _expected_start(g, t, r, use=range(4)), rtol=1e-9)


def test_moment_start_default_when_the_lines_say_nothing():
    """The fixed start (1, 0, 1) when fewer than 3 subjects have a line, when the lines fit
    exactly (sigma^2 = 0) or when the intercepts do not vary (D has a zero variance); with
    exactly 3 lines the moments are used."""
    default = np.array([1.0, 0.0, 1.0])
    b0 = np.array([1.0, -2.0, 3.0])
    b1 = np.array([0.5, 0.2, -0.3])
    e = np.array([0.3, -0.4, 0.2])
    g, t, r = _subjects(b0, b1, e)
    three = reml._moment_start(*_lines(g, t, r))
    np.testing.assert_allclose(three, _expected_start(g, t, r, use=range(3)), rtol=1e-9)
    two = g < 2
    np.testing.assert_array_equal(reml._moment_start(*_lines(g[two], t[two], r[two])), default)
    # exact integer lines at t = 0, 1, 2 (all sums exact): residual sums of squares 0
    g = np.repeat(np.arange(4), 3)
    t = np.tile([0.0, 1.0, 2.0], 4)
    b0i, b1i = np.array([1.0, -2.0, 3.0, 4.0]), np.array([1.0, 2.0, -1.0, 0.0])
    r = b0i[g] + b1i[g] * t
    np.testing.assert_array_equal(reml._moment_start(*_lines(g, t, r)), default)
    # equal intercepts (spread exactly 0, so d00 = max(-v00, 0) = 0), varying slopes, and
    # residual patterns (1, -2, 1) orthogonal to (1, t) in exact arithmetic
    pattern = np.array([1.0, -1.0, 2.0, 1.0])[g] * np.tile([1.0, -2.0, 1.0], 4)
    r = b1i[g] * t + pattern
    np.testing.assert_array_equal(reml._moment_start(*_lines(g, t, r)), default)
    # equal slopes (d11 = 0), varying intercepts
    r = b0i[g] + 2.0 * t + pattern
    np.testing.assert_array_equal(reml._moment_start(*_lines(g, t, r)), default)
