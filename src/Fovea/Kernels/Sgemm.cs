namespace Fovea.Kernels;

// TEMPORARY stand-in until the packed kernel lands from the kernels branch: same signature, plain loops.
public static class Sgemm
{
    public static void Multiply(int m, int n, int k, ReadOnlySpan<float> a, int lda, bool transA, ReadOnlySpan<float> b, int ldb, bool transB,
        Span<float> c, int ldc, bool accumulate = false, ReadOnlySpan<float> bias = default, bool relu = false, int threads = 1)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                float s = 0;
                for (int p = 0; p < k; p++)
                    s += (transA ? a[p * lda + i] : a[i * lda + p]) * (transB ? b[j * ldb + p] : b[p * ldb + j]);
                float v = (accumulate ? c[i * ldc + j] : 0) + s;
                if (!bias.IsEmpty) v += bias[j];
                if (relu && v < 0) v = 0;
                c[i * ldc + j] = v;
            }
    }
}
