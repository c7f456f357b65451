namespace Fovea.Kernels;

/// <summary>
/// The plain, obviously-correct SGEMM that <see cref="Sgemm"/> is tested against; read this first.
/// C[m×n] = (accumulate ? C : 0) + op(A)[m×k]·op(B)[k×n], then + bias[j] and ReLU when asked.
/// Sums in double so that it is a better answer than any float ordering, not just another one.
/// </summary>
public static class SgemmReference
{
    /// <summary>C = (accumulate ? C : 0) + op(A)·op(B), then + bias and ReLU when asked, summed in double: the reference
    /// the optimised SGEMM must match within rounding.</summary>
    public static void Multiply(
        int m, int n, int k,
        ReadOnlySpan<float> a, int lda, bool transA,   // op(A) [m, k]; A is [m, lda] or, transposed, [k, lda]
        ReadOnlySpan<float> b, int ldb, bool transB,   // op(B) [k, n]; B is [k, ldb] or, transposed, [n, ldb]
        Span<float> c, int ldc,                        // C [m, ldc]
        bool accumulate = false, ReadOnlySpan<float> bias = default, bool relu = false)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = accumulate ? c[i * ldc + j] : 0.0;
                for (int p = 0; p < k; p++)
                {
                    float x = transA ? a[p * lda + i] : a[i * lda + p];
                    float y = transB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += (double)x * y;
                }
                if (!bias.IsEmpty) sum += bias[j];
                float v = (float)sum;
                c[i * ldc + j] = relu && v < 0f ? 0f : v;
            }
        }
    }
}
