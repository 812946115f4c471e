/* Element-wise kernels of the engine, each in one pass over memory: Adam's
 * update of the flat parameter vector, and ReLU's derivative (further down).
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
 *           scale, epsilon)
 *
 *     for i < n_weights: grad[i] += l2 * theta[i]      (written back)
 *     m_sum = beta_1 * m_sum + grad
 *     v_sum = beta_2 * v_sum + grad * grad
 *     theta -= m_sum / (sqrt(v_sum) + epsilon) * scale
 *
 * The four vectors are writable, C-contiguous buffers of one length and one
 * type, float64 ('d') or float32 ('f'); the scalars are rounded to that
 * type first, as NumPy does with a Python float.  The GIL is released.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <string.h>

/* One element of the update; the L2 gradient only where decay is set. */
#define ADAM_ELEMENT(T, SQRT, DECAY)                                          \
    {                                                                         \
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
        theta[i] = theta[i] - step;                                           \
    }

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

/* Two loops without a branch inside, so that both vectorise. */
#define ADAM_LOOP(T, SQRT)                                                    \
    VECTOR_CLONES static void adam_##T(T *theta, T *grad, T *m, T *v,         \
                                       Py_ssize_t n, Py_ssize_t n_weights,    \
                                       T l2, T b1, T b2, T scale, T eps)      \
    {                                                                         \
        Py_ssize_t i;                                                         \
        for (i = 0; i < n_weights; i++)                                       \
            ADAM_ELEMENT(T, SQRT, 1)                                          \
        for (i = n_weights; i < n; i++)                                       \
            ADAM_ELEMENT(T, SQRT, 0)                                          \
    }

ADAM_LOOP(double, sqrt)
ADAM_LOOP(float, sqrtf)

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
        if (view->format == NULL || view->format[1] != '\0'
            || (view->format[0] != 'd' && view->format[0] != 'f')) {
            PyErr_Format(PyExc_TypeError, "%s must be float64 or float32",
                         names[k]);
            return -1;
        }
        if (k > 0 && (view->format[0] != views[0].format[0]
                      || view->shape[0] != views[0].shape[0])) {
            PyErr_Format(PyExc_ValueError,
                         "%s must have the length and type of theta", names[k]);
            return -1;
        }
    }
    return 0;
}

static PyObject *
adam_step(PyObject *self, PyObject *args)
{
    static const char *names[] = {"theta", "grad", "m_sum", "v_sum"};
    Py_buffer views[4] = {{0}};
    Py_ssize_t n_weights;
    double l2, b1, b2, scale, eps;
    const int flags = PyBUF_WRITABLE | PyBUF_FORMAT | PyBUF_STRIDES;
    int taken = 0;

    PyObject *vectors[4];
    if (!PyArg_ParseTuple(args, "OOOOnddddd", &vectors[0], &vectors[1],
                          &vectors[2], &vectors[3], &n_weights, &l2, &b1, &b2,
                          &scale, &eps))
        return NULL;
    for (; taken < 4; taken++) {
        if (PyObject_GetBuffer(vectors[taken], &views[taken], flags) < 0)
            goto fail;
    }
    if (check_vectors(views, names) < 0)
        goto fail;
    Py_ssize_t n = views[0].shape[0];
    if (n_weights < 0 || n_weights > n) {
        PyErr_SetString(PyExc_ValueError, "n_weights must be in [0, len(theta)]");
        goto fail;
    }
    if (views[0].format[0] == 'd') {
        Py_BEGIN_ALLOW_THREADS
        adam_double(views[0].buf, views[1].buf, views[2].buf, views[3].buf, n,
                    n_weights, l2, b1, b2, scale, eps);
        Py_END_ALLOW_THREADS
    }
    else {
        Py_BEGIN_ALLOW_THREADS
        adam_float(views[0].buf, views[1].buf, views[2].buf, views[3].buf, n,
                   n_weights, (float)l2, (float)b1, (float)b2, (float)scale,
                   (float)eps);
        Py_END_ALLOW_THREADS
    }
    return release_views(views, taken, 1);
fail:
    return release_views(views, taken, 0);
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
    for (; taken < 2; taken++) {
        int flags = PyBUF_FORMAT | PyBUF_C_CONTIGUOUS
                    | (taken == 1 ? PyBUF_WRITABLE : 0);
        if (PyObject_GetBuffer(objects[taken], &views[taken], flags) < 0)
            goto fail;
    }
    char kind = views[0].format ? views[0].format[0] : 0;
    if ((kind != 'd' && kind != 'f') || views[0].format[1] != '\0'
        || views[1].format == NULL || strcmp(views[0].format, views[1].format)
        || views[0].len != views[1].len) {
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

static PyMethodDef methods[] = {
    {"adam_step", adam_step, METH_VARARGS,
     "Adam's update with the L2 gradient, in place, in one pass."},
    {"relu_backward", relu_backward, METH_VARARGS,
     "delta *= (output > 0) in place, in one pass."},
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
