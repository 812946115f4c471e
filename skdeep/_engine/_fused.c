/* Element-wise kernels of the engine, each in one pass over memory: Adam's
 * update of the flat parameter vector, and (further down) ReLU's derivative,
 * the gathering of a standardised minibatch and the softmax log-loss's row
 * loops.
 *
 * NumPy spends ten passes on Adam (and two more on the L2 gradient), each
 * reading and writing whole vectors that do not fit in a core's cache; on
 * large networks the update then costs as much as the matrix products.  This
 * loop does the same arithmetic, operation for operation and in the same
 * order as the NumPy code in optimizers.py, element by element: the results
 * are bitwise the same, provided the compiler neither contracts a*b + c into
 * a fused multiply-add nor reorders (setup.py builds with -ffp-contract=off
 * and without -ffast-math).
 *
 * adam_step(theta, grad, m_sum, v_sum, n_weights, l2, beta_1, beta_2,
 *           scale, epsilon[, blocks, sums])
 *
 *     for i < n_weights: grad[i] += l2 * theta[i]      (written back)
 *     m_sum = beta_1 * m_sum + grad
 *     v_sum = beta_2 * v_sum + grad * grad
 *     theta -= m_sum / (sqrt(v_sum) + epsilon) * scale
 *     sums[b] = sum(grad[blocks[2b]:blocks[2b + 1]] ** 2)
 *
 * The four vectors are writable, C-contiguous buffers of one length and one
 * type, float64 ('d') or float32 ('f'); the scalars are rounded to that
 * type first, as NumPy does with a Python float.  The optional blocks are
 * int64 (start, stop) pairs, sorted and not overlapping, and sums a float64
 * vector with one entry per pair: the squared norms of the layers' weight
 * gradients, which the trainer records, at no extra pass.  The GIL is
 * released.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>

/* The update of element i, with the L2 gradient where DECAY is set; g2 is
 * the squared gradient. */
#define ADAM_ELEMENT(T, SQRT, DECAY, i)                                       \
        T g = grad[i];                                                        \
        if (DECAY) {                                                          \
            T decay = theta[i] * l2;                                          \
            g = g + decay;                                                    \
            grad[i] = g;                                                      \
        }                                                                     \
        T m_i = m[i] * b1;                                                    \
        m_i = m_i + g;                                                        \
        T g2 = g * g;                                                         \
        T v_i = v[i] * b2;                                                    \
        v_i = v_i + g2;                                                       \
        m[i] = m_i;                                                           \
        v[i] = v_i;                                                           \
        T step = SQRT(v_i);                                                   \
        step = step + eps;                                                    \
        step = m_i / step;                                                    \
        step = step * scale;                                                  \
        theta[i] = theta[i] - step;

/* Square roots and divisions bound the loop, so on x86-64 it is also built
 * for AVX2 (four doubles at a time), chosen when the program starts on a
 * processor that has it; AVX2 alone brings no fused multiply-add. */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define VECTOR_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef VECTOR_CLONES
#define VECTOR_CLONES
#endif

/* The update of theta[lo:hi], with the L2 gradient (DECAY) or without.
 * With SUM, it also returns the sum of the squared gradients g * g.  The
 * "omp simd" reduction (built with -fopenmp-simd, which needs no OpenMP
 * library) lets the compiler keep that sum in partial sums, one per vector
 * lane, as BLAS's dot product does; only this sum is reordered, and in a
 * way fixed when the kernel is compiled, so it comes out the same on every
 * run. */
#define ADAM_RANGE(T, SQRT, DECAY, SUM)                                       \
    VECTOR_CLONES static double adam_##T##_##DECAY##SUM(                      \
        T *restrict theta, T *restrict grad, T *restrict m, T *restrict v,    \
        Py_ssize_t lo, Py_ssize_t hi, T l2, T b1, T b2, T scale, T eps)       \
    {                                                                         \
        T sum = 0;                                                            \
        if (!SUM) {                                                           \
            for (Py_ssize_t i = lo; i < hi; i++) {                            \
                ADAM_ELEMENT(T, SQRT, DECAY, i)                               \
            }                                                                 \
            return 0.0;                                                       \
        }                                                                     \
        _Pragma("omp simd reduction(+:sum)")                                  \
        for (Py_ssize_t i = lo; i < hi; i++) {                                \
            ADAM_ELEMENT(T, SQRT, DECAY, i)                                   \
            sum += g2;                                                        \
        }                                                                     \
        return sum;                                                           \
    }

static Py_ssize_t
clamp(Py_ssize_t x, Py_ssize_t lo, Py_ssize_t hi)
{
    return x < lo ? lo : x > hi ? hi : x;
}

/* One Adam step: the vectors, how many weights lead theta (the L2 gradient
 * goes to theta[:n_weights]), the (start, stop) blocks whose squares are
 * summed, and the scalars. */
struct adam_job {
    void *theta, *grad, *m, *v;
    Py_ssize_t n, n_weights, n_blocks;
    const long long *blocks;
    double l2, b1, b2, scale, eps;
    int is_double;
};

#define ADAM(T, SQRT)                                                        \
    ADAM_RANGE(T, SQRT, 0, 0)                                                 \
    ADAM_RANGE(T, SQRT, 0, 1)                                                 \
    ADAM_RANGE(T, SQRT, 1, 0)                                                 \
    ADAM_RANGE(T, SQRT, 1, 1)                                                 \
                                                                              \
    /* theta[lo:hi], the part below n_weights with the L2 gradient. */        \
    static double adam_##T##_range(const struct adam_job *job, Py_ssize_t lo, \
                                   Py_ssize_t hi, int sum)                    \
    {                                                                         \
        T *theta = job->theta, *grad = job->grad, *m = job->m, *v = job->v;   \
        T l2 = (T)job->l2, b1 = (T)job->b1, b2 = (T)job->b2;                  \
        T scale = (T)job->scale, eps = (T)job->eps;                           \
        Py_ssize_t split = clamp(job->n_weights, lo, hi);                     \
        if (sum)                                                              \
            return adam_##T##_11(theta, grad, m, v, lo, split, l2, b1, b2,    \
                                 scale, eps)                                  \
                   + adam_##T##_01(theta, grad, m, v, split, hi, l2, b1, b2,  \
                                   scale, eps);                               \
        adam_##T##_10(theta, grad, m, v, lo, split, l2, b1, b2, scale, eps);  \
        adam_##T##_00(theta, grad, m, v, split, hi, l2, b1, b2, scale, eps);  \
        return 0.0;                                                           \
    }                                                                         \
                                                                              \
    /* The whole step; sums[b] = the squares summed over the b-th block. */   \
    static void adam_##T(const struct adam_job *job, double *sums)            \
    {                                                                         \
        Py_ssize_t done = 0;                                                  \
        for (Py_ssize_t b = 0; b < job->n_blocks; b++) {                      \
            adam_##T##_range(job, done, job->blocks[2 * b], 0);               \
            sums[b] = adam_##T##_range(job, job->blocks[2 * b],               \
                                       job->blocks[2 * b + 1], 1);            \
            done = job->blocks[2 * b + 1];                                    \
        }                                                                     \
        adam_##T##_range(job, done, job->n, 0);                               \
    }

ADAM(double, sqrt)
ADAM(float, sqrtf)

/* Release the first `taken` views; return None, or NULL (an error is set)
 * when `ok` is 0. */
static PyObject *
release_views(Py_buffer *views, int taken, int ok)
{
    for (int k = 0; k < taken; k++)
        PyBuffer_Release(&views[k]);
    if (!ok)
        return NULL;
    Py_RETURN_NONE;
}

/* 'd' or 'f' for a buffer of aligned float64 or float32 values, else 0.
 * (NumPy marks the format of an unaligned array "=d", which fails here.) */
static char
float_code(const Py_buffer *view)
{
    const char *format = view->format;
    if (format == NULL || format[0] == '\0' || format[1] != '\0'
        || view->itemsize <= 0 || (uintptr_t)view->buf % view->itemsize)
        return 0;
    return (format[0] == 'd' && view->itemsize == 8)
                   || (format[0] == 'f' && view->itemsize == 4)
               ? format[0]
               : 0;
}

/* Whether a buffer holds aligned int64 values. */
static int
is_int64(const Py_buffer *view)
{
    const char *format = view->format;
    return format != NULL && (format[0] == 'l' || format[0] == 'q')
           && format[1] == '\0' && view->itemsize == 8
           && (uintptr_t)view->buf % 8 == 0;
}

static int
check_vectors(Py_buffer *views, const char *names[])
{
    for (int k = 0; k < 4; k++) {
        Py_buffer *view = &views[k];
        if (view->ndim != 1 || view->strides[0] != view->itemsize) {
            PyErr_Format(PyExc_ValueError, "%s must be a contiguous vector",
                         names[k]);
            return -1;
        }
        if (!float_code(view)) {
            PyErr_Format(PyExc_TypeError, "%s must be float64 or float32",
                         names[k]);
            return -1;
        }
        if (k > 0 && (float_code(view) != float_code(&views[0])
                      || view->shape[0] != views[0].shape[0])) {
            PyErr_Format(PyExc_ValueError,
                         "%s must have the length and type of theta", names[k]);
            return -1;
        }
    }
    return 0;
}

/* blocks: int64 pairs [start, stop), sorted, not overlapping, within
 * [0, n]; sums: one float64 per pair.  Returns the number of pairs, or -1
 * with an error set. */
static Py_ssize_t
check_blocks(Py_buffer *blocks, Py_buffer *sums, Py_ssize_t n)
{
    if (blocks->ndim != 1 || !is_int64(blocks) || blocks->strides[0] != 8
        || blocks->shape[0] % 2) {
        PyErr_SetString(PyExc_ValueError, "blocks must be a contiguous int64 "
                        "vector of (start, stop) pairs");
        return -1;
    }
    Py_ssize_t n_blocks = blocks->shape[0] / 2;
    if (sums->ndim != 1 || float_code(sums) != 'd' || sums->strides[0] != 8
        || sums->shape[0] != n_blocks) {
        PyErr_SetString(PyExc_ValueError, "sums must be a contiguous float64 "
                        "vector with one entry per block");
        return -1;
    }
    const long long *bounds = blocks->buf;
    long long done = 0;
    for (Py_ssize_t k = 0; k < 2 * n_blocks; k++) {
        if (bounds[k] < done || bounds[k] > n) {
            PyErr_SetString(PyExc_ValueError, "blocks must be sorted, not "
                            "overlapping, within [0, len(theta)]");
            return -1;
        }
        done = bounds[k];
    }
    return n_blocks;
}

static PyObject *
adam_step(PyObject *self, PyObject *args)
{
    static const char *names[] = {"theta", "grad", "m_sum", "v_sum"};
    Py_buffer views[6] = {{0}};
    struct adam_job job = {0};
    int taken = 0, n_views = 4;
    PyObject *objects[6] = {NULL};
    if (!PyArg_ParseTuple(args, "OOOOnddddd|OO", &objects[0], &objects[1],
                          &objects[2], &objects[3], &job.n_weights, &job.l2,
                          &job.b1, &job.b2, &job.scale, &job.eps, &objects[4],
                          &objects[5]))
        return NULL;
    if ((objects[4] == NULL) != (objects[5] == NULL)) {
        PyErr_SetString(PyExc_TypeError, "give both blocks and sums, or neither");
        return NULL;
    }
    if (objects[4] != NULL)
        n_views = 6;
    for (; taken < n_views; taken++) {
        int flags = PyBUF_FORMAT | PyBUF_STRIDES
                    | (taken == 4 ? 0 : PyBUF_WRITABLE);
        if (PyObject_GetBuffer(objects[taken], &views[taken], flags) < 0)
            goto fail;
    }
    if (check_vectors(views, names) < 0)
        goto fail;
    job.n = views[0].shape[0];
    if (job.n_weights < 0 || job.n_weights > job.n) {
        PyErr_SetString(PyExc_ValueError, "n_weights must be in [0, len(theta)]");
        goto fail;
    }
    if (n_views == 6) {
        job.n_blocks = check_blocks(&views[4], &views[5], job.n);
        if (job.n_blocks < 0)
            goto fail;
        job.blocks = views[4].buf;
    }
    double *sums = n_views == 6 ? views[5].buf : NULL;
    job.theta = views[0].buf;
    job.grad = views[1].buf;
    job.m = views[2].buf;
    job.v = views[3].buf;
    job.is_double = float_code(&views[0]) == 'd';
    Py_BEGIN_ALLOW_THREADS
    if (job.is_double)
        adam_double(&job, sums);
    else
        adam_float(&job, sums);
    Py_END_ALLOW_THREADS
    return release_views(views, taken, 1);
fail:
    return release_views(views, taken, 0);
}

/* Take C-contiguous views of objects[0:n] into views, writable where the
 * bit of `writable` is set; None objects are left out (their views stay
 * empty).  *taken counts the views to release; returns -1 on an error. */
static int
take_views(PyObject **objects, Py_buffer *views, int n, unsigned writable,
           int *taken)
{
    for (; *taken < n; (*taken)++) {
        int k = *taken;
        if (objects[k] == Py_None)
            continue;
        int flags = PyBUF_FORMAT | PyBUF_C_CONTIGUOUS
                    | ((writable >> k) & 1 ? PyBUF_WRITABLE : 0);
        if (PyObject_GetBuffer(objects[k], &views[k], flags) < 0)
            return -1;
    }
    return 0;
}

/* delta *= (A > 0), the derivative of max(z, 0) in terms of its output, as
 * NumPy's two passes do it: a product with 1 or 0, so that a NaN or an
 * infinity in delta stays what NumPy makes of it. */
#define RELU_BACKWARD_LOOP(T)                                                 \
    VECTOR_CLONES static void relu_backward_##T(const T *a, T *delta,         \
                                                Py_ssize_t n)                 \
    {                                                                         \
        for (Py_ssize_t i = 0; i < n; i++) {                                  \
            T mask = a[i] > 0 ? (T)1 : (T)0;                                  \
            delta[i] = delta[i] * mask;                                       \
        }                                                                     \
    }

RELU_BACKWARD_LOOP(double)
RELU_BACKWARD_LOOP(float)

static PyObject *
relu_backward(PyObject *self, PyObject *args)
{
    PyObject *objects[2];
    Py_buffer views[2] = {{0}};
    int taken = 0;

    if (!PyArg_ParseTuple(args, "OO", &objects[0], &objects[1]))
        return NULL;
    if (take_views(objects, views, 2, 1u << 1, &taken) < 0)
        goto fail;
    char kind = float_code(&views[0]);
    if (!kind || float_code(&views[1]) != kind || views[0].len != views[1].len) {
        PyErr_SetString(PyExc_ValueError, "output and delta must be contiguous "
                        "arrays of one size and type, float64 or float32");
        goto fail;
    }
    Py_ssize_t n = views[0].len / views[0].itemsize;
    Py_BEGIN_ALLOW_THREADS
    if (kind == 'd')
        relu_backward_double(views[0].buf, views[1].buf, n);
    else
        relu_backward_float(views[0].buf, views[1].buf, n);
    Py_END_ALLOW_THREADS
    return release_views(views, taken, 1);
fail:
    return release_views(views, taken, 0);
}

/* out[r] = X[rows[r]] * inv_scale - offset: a minibatch gathered and
 * standardised in one pass, as NumPy's take, multiply and subtract do it
 * in three (the same operations, so the same bits). */
#define GATHER_LOOP(T)                                                        \
    VECTOR_CLONES static void gather_##T(                                     \
        const T *x, const long long *rows, Py_ssize_t n_rows,                 \
        Py_ssize_t n_cols, const T *restrict inv_scale,                       \
        const T *restrict offset, T *restrict out)                            \
    {                                                                         \
        for (Py_ssize_t r = 0; r < n_rows; r++) {                             \
            const T *restrict row = x + rows[r] * n_cols;                     \
            T *restrict dst = out + r * n_cols;                               \
            if (offset == NULL) {                                             \
                for (Py_ssize_t j = 0; j < n_cols; j++)                       \
                    dst[j] = row[j] * inv_scale[j];                           \
                continue;                                                     \
            }                                                                 \
            for (Py_ssize_t j = 0; j < n_cols; j++) {                         \
                T scaled = row[j] * inv_scale[j];                             \
                dst[j] = scaled - offset[j];                                  \
            }                                                                 \
        }                                                                     \
    }

GATHER_LOOP(double)
GATHER_LOOP(float)

static PyObject *
gather_standardize(PyObject *self, PyObject *args)
{
    PyObject *objects[5];
    Py_buffer views[5] = {{0}};
    int taken = 0;
    if (!PyArg_ParseTuple(args, "OOOOO", &objects[0], &objects[1], &objects[2],
                          &objects[3], &objects[4]))
        return NULL;
    int centred = objects[3] != Py_None;
    if (take_views(objects, views, 5, 1u << 4, &taken) < 0)
        goto fail;
    Py_buffer *x = &views[0], *rows = &views[1], *out = &views[4];
    char kind = float_code(x);
    if (x->ndim != 2 || !kind) {
        PyErr_SetString(PyExc_ValueError, "X must be an aligned, C-contiguous "
                        "float64 or float32 matrix");
        goto fail;
    }
    Py_ssize_t n_cols = x->shape[1], n_rows = rows->shape[0];
    if (rows->ndim != 1 || !is_int64(rows)) {
        PyErr_SetString(PyExc_ValueError, "rows must be an int64 vector");
        goto fail;
    }
    int centring_ok = !centred || (float_code(&views[3]) == kind
                                   && views[3].len == n_cols * x->itemsize);
    if (float_code(&views[2]) != kind || views[2].len != n_cols * x->itemsize
        || !centring_ok || float_code(out) != kind
        || out->len != n_rows * n_cols * x->itemsize) {
        PyErr_SetString(PyExc_ValueError, "inv_scale, offset and out must "
                        "match X's type and columns, out hold len(rows) rows");
        goto fail;
    }
    const long long *positions = rows->buf;
    for (Py_ssize_t r = 0; r < n_rows; r++) {
        if (positions[r] < 0 || positions[r] >= x->shape[0]) {
            PyErr_SetString(PyExc_IndexError, "a row position is out of range");
            goto fail;
        }
    }
    const void *offset = centred ? views[3].buf : NULL;
    Py_BEGIN_ALLOW_THREADS
    if (kind == 'd')
        gather_double(x->buf, positions, n_rows, n_cols, views[2].buf, offset,
                      out->buf);
    else
        gather_float(x->buf, positions, n_rows, n_cols, views[2].buf, offset,
                     out->buf);
    Py_END_ALLOW_THREADS
    return release_views(views, taken, 1);
fail:
    return release_views(views, taken, 0);
}

/* Softmax's arithmetic around NumPy's exp, and the log-loss's delta, row by
 * row.  A minibatch's outputs are small (rows of a few classes), so NumPy
 * spends its time there calling ufuncs, not computing: these loops do in one
 * call what takes it four or five.  NumPy's exp stays between the two
 * softmax passes, so the results are bitwise those of the NumPy code in
 * losses.py, which does the same operations in the same order (a row's sum
 * from its first column to its last). */
#define SOFTMAX_LOOPS(T)                                                      \
    /* z -= max(z) per row; a NaN anywhere in the row makes it all NaN. */   \
    static void shift_rows_##T(T *z, Py_ssize_t n_rows, Py_ssize_t n_cols)  \
    {                                                                         \
        for (T *row = z; row < z + n_rows * n_cols; row += n_cols) {          \
            T top = row[0];                                                   \
            for (Py_ssize_t k = 1; k < n_cols; k++)                           \
                if (row[k] > top || row[k] != row[k])                         \
                    top = row[k]; /* a NaN top stays: x > NaN is false */     \
            for (Py_ssize_t k = 0; k < n_cols; k++)                           \
                row[k] = row[k] - top;                                        \
        }                                                                     \
    }                                                                         \
                                                                              \
    /* z /= sum(z) per row. */                                                \
    static void normalize_rows_##T(T *z, Py_ssize_t n_rows,                   \
                                   Py_ssize_t n_cols)                         \
    {                                                                         \
        for (T *row = z; row < z + n_rows * n_cols; row += n_cols) {          \
            T sum = row[0];                                                   \
            for (Py_ssize_t k = 1; k < n_cols; k++)                           \
                sum = sum + row[k];                                           \
            for (Py_ssize_t k = 0; k < n_cols; k++)                           \
                row[k] = row[k] / sum;                                        \
        }                                                                     \
    }                                                                         \
                                                                              \
    /* p_true = max(sum(P * Y), eps) per row; delta = (P - Y) * scale        \
     * (* sample_weight), unless delta is NULL. */                            \
    static void log_loss_rows_##T(const T *p, const T *y, const T *sw,        \
                                  T scale, T eps, T *delta, T *p_true,        \
                                  Py_ssize_t n_rows, Py_ssize_t n_cols)       \
    {                                                                         \
        for (Py_ssize_t i = 0; i < n_rows; i++) {                             \
            const T *p_i = p + i * n_cols, *y_i = y + i * n_cols;             \
            T sum = p_i[0] * y_i[0];                                          \
            for (Py_ssize_t k = 1; k < n_cols; k++) {                         \
                T term = p_i[k] * y_i[k];                                     \
                sum = sum + term;                                             \
            }                                                                 \
            p_true[i] = sum != sum || sum > eps ? sum : eps;                  \
            if (delta == NULL)                                                \
                continue;                                                     \
            T *d_i = delta + i * n_cols;                                      \
            for (Py_ssize_t k = 0; k < n_cols; k++) {                         \
                T d = p_i[k] - y_i[k];                                        \
                d = d * scale;                                                \
                d_i[k] = sw == NULL ? d : d * sw[i];                          \
            }                                                                 \
        }                                                                     \
    }

SOFTMAX_LOOPS(double)
SOFTMAX_LOOPS(float)

/* Apply a row loop, in place, to the one argument of softmax_shift and
 * softmax_normalize: a writable, C-contiguous float64 or float32 matrix. */
typedef void (*double_rows)(double *, Py_ssize_t, Py_ssize_t);
typedef void (*float_rows)(float *, Py_ssize_t, Py_ssize_t);

static PyObject *
in_place_rows(PyObject *args, double_rows on_double, float_rows on_float)
{
    PyObject *object;
    Py_buffer view = {0};
    int taken = 0;
    if (!PyArg_ParseTuple(args, "O", &object))
        return NULL;
    if (take_views(&object, &view, 1, 1u, &taken) < 0)
        return release_views(&view, taken, 0);
    char kind = float_code(&view);
    if (view.ndim != 2 || !kind || view.shape[1] < 1) {
        PyErr_SetString(PyExc_ValueError, "Z must be a C-contiguous float64 "
                        "or float32 matrix with at least one column");
        return release_views(&view, taken, 0);
    }
    if (kind == 'd')
        on_double(view.buf, view.shape[0], view.shape[1]);
    else
        on_float(view.buf, view.shape[0], view.shape[1]);
    return release_views(&view, taken, 1);
}

static PyObject *
softmax_shift(PyObject *self, PyObject *args)
{
    return in_place_rows(args, shift_rows_double, shift_rows_float);
}

static PyObject *
softmax_normalize(PyObject *self, PyObject *args)
{
    return in_place_rows(args, normalize_rows_double, normalize_rows_float);
}

/* Whether `view` has the float type of the matrix `p` and, with ndim 2, its
 * shape, or with ndim 1, one entry per row. */
static int
like(const Py_buffer *view, const Py_buffer *p, int ndim)
{
    return float_code(view) == float_code(p) && view->ndim == ndim
           && view->shape[0] == p->shape[0]
           && (ndim == 1 || view->shape[1] == p->shape[1]);
}

/* log_loss_rows(P, Y, sample_weight, scale, eps, delta, p_true): P, Y and
 * delta matrices of one shape, sample_weight and p_true vectors of one
 * entry per row, all of one type; sample_weight and delta may be None. */
static PyObject *
log_loss_rows(PyObject *self, PyObject *args)
{
    PyObject *objects[5];
    Py_buffer views[5] = {{0}};
    double scale, eps;
    int taken = 0;
    if (!PyArg_ParseTuple(args, "OOOddOO", &objects[0], &objects[1],
                          &objects[2], &scale, &eps, &objects[3], &objects[4]))
        return NULL;
    if (take_views(objects, views, 5, (1u << 3) | (1u << 4), &taken) < 0)
        goto fail;
    Py_buffer *p = &views[0];
    char kind = float_code(p);
    int ok = kind && p->ndim == 2 && p->shape[1] >= 1
             && like(&views[1], p, 2) && like(&views[4], p, 1)
             && (objects[2] == Py_None || like(&views[2], p, 1))
             && (objects[3] == Py_None || like(&views[3], p, 2));
    if (!ok) {
        PyErr_SetString(PyExc_ValueError, "P, Y and delta must be C-contiguous "
                        "matrices of one shape and float type, sample_weight "
                        "and p_true vectors of that type, one entry per row");
        goto fail;
    }
    const void *weights = objects[2] == Py_None ? NULL : views[2].buf;
    void *out = objects[3] == Py_None ? NULL : views[3].buf;
    Py_ssize_t n_rows = p->shape[0], n_cols = p->shape[1];
    if (kind == 'd')
        log_loss_rows_double(p->buf, views[1].buf, weights, scale, eps, out,
                             views[4].buf, n_rows, n_cols);
    else
        log_loss_rows_float(p->buf, views[1].buf, weights, (float)scale,
                            (float)eps, out, views[4].buf, n_rows, n_cols);
    return release_views(views, taken, 1);
fail:
    return release_views(views, taken, 0);
}

static PyMethodDef methods[] = {
    {"adam_step", adam_step, METH_VARARGS,
     "Adam's update with the L2 gradient, in place, in one pass."},
    {"relu_backward", relu_backward, METH_VARARGS,
     "delta *= (output > 0) in place, in one pass."},
    {"gather_standardize", gather_standardize, METH_VARARGS,
     "out = X[rows] * inv_scale - offset, in one pass."},
    {"softmax_shift", softmax_shift, METH_VARARGS,
     "Z -= the maximum of each row, in place."},
    {"softmax_normalize", softmax_normalize, METH_VARARGS,
     "Z /= the sum of each row, in place."},
    {"log_loss_rows", log_loss_rows, METH_VARARGS,
     "The true class's probability per row and the log-loss's delta."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_fused",
    "Fused element-wise kernels of the engine (see _fused.c).", -1, methods,
};

PyMODINIT_FUNC
PyInit__fused(void)
{
    return PyModule_Create(&module);
}
