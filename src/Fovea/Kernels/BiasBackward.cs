using System.Numerics.Tensors;

namespace Fovea.Kernels;

/// <summary>
/// The backward pass of "+ bias, then ReLU" over a [rows, cols] output gradient, in one sweep split across the pool:
/// dz = dy ⊙ (y &gt; 0) in place, and dbias += Σ_rows dz. Rows are cut into a fixed number of chunks whatever the
/// thread count, and the chunks' partial sums are added in chunk order, so the result is the same bit for bit
/// on one thread or many.
/// </summary>
public sealed class BiasBackward : IParallelWork
{
    private const int Chunks = 32;
    private float[] _partials = [];
    private float[] _grad = [];
    private float[] _output = [];
    private int _rows, _cols;
    private bool _relu;

    /// <param name="grad">dL/dy on entry, dL/dz on return: [rows, cols].</param>
    /// <param name="output">y = relu(z), the forward output (read only when <paramref name="relu"/>).</param>
    /// <param name="biasGrad">dL/d(bias), one value per column; the sums are added into it.</param>
    /// <param name="rows">Rows of <paramref name="grad"/>: samples, or samples × positions.</param>
    /// <param name="cols">Columns of <paramref name="grad"/>: the bias's length.</param>
    /// <param name="relu">Whether the forward pass applied ReLU, whose gradient is applied first.</param>
    public void Run(Span<float> biasGrad, float[] grad, float[] output, int rows, int cols, bool relu)
    {
        if (biasGrad.Length != cols) throw new ArgumentException($"biasGrad must have {cols} values; got {biasGrad.Length}", nameof(biasGrad));
        if (grad.Length < rows * cols || (relu && output.Length < rows * cols)) throw new ArgumentException("grad or output is shorter than rows × cols");
        if (_partials.Length < Chunks * cols) _partials = new float[Chunks * cols];
        (_grad, _output, _rows, _cols, _relu) = (grad, output, rows, cols, relu);
        WorkerPool.Shared.Run(this, Chunks);
        for (int c = 0; c < Chunks; c++)
            TensorPrimitives.Add(biasGrad, _partials.AsSpan(c * cols, cols), biasGrad);
        (_grad, _output) = ([], []);
    }

    /// <inheritdoc/>
    public void Execute(int chunk)
    {
        int cols = _cols, start = (int)((long)_rows * chunk / Chunks), end = (int)((long)_rows * (chunk + 1) / Chunks);
        var sum = _partials.AsSpan(chunk * cols, cols);
        sum.Clear();
        if (end <= start) return;
        var dz = _grad.AsSpan(start * cols, (end - start) * cols);
        if (_relu) ActivationKernels.ReluBackward(dz, _output.AsSpan(start * cols, (end - start) * cols));
        for (int r = 0; r < end - start; r++)
            TensorPrimitives.Add(sum, dz.Slice(r * cols, cols), sum);
    }
}
