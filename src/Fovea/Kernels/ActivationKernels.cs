using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Fovea.Kernels;

/// <summary>Element-wise activations and their gradients. Rows are samples, columns features.</summary>
public static class ActivationKernels
{
    /// <summary>x = max(x, 0), in place.</summary>
    public static void Relu(Span<float> x) => TensorPrimitives.Max(x, 0f, x);

    /// <summary>grad *= (y > 0): the ReLU derivative, read from the forward output y = max(z, 0).</summary>
    public static void ReluBackward(Span<float> grad, ReadOnlySpan<float> y)
    {
        if (grad.Length != y.Length) throw new ArgumentException($"grad and y must have the same length; got {grad.Length} and {y.Length}");
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i <= grad.Length - Vector512<float>.Count; i += Vector512<float>.Count)
            {
                var mask = Vector512.GreaterThan(Vector512.Create(y[i..]), Vector512<float>.Zero);
                (Vector512.Create(grad[i..]) & mask.AsSingle()).CopyTo(grad[i..]);
            }
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= grad.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var mask = Vector256.GreaterThan(Vector256.Create(y[i..]), Vector256<float>.Zero);
                (Vector256.Create(grad[i..]) & mask.AsSingle()).CopyTo(grad[i..]);
            }
        }
        for (; i < grad.Length; i++)
            if (!(y[i] > 0)) grad[i] = 0;
    }

    /// <summary>probs[r] = softmax(logits[r]) for each row, subtracting the row maximum so exp cannot overflow.</summary>
    public static void Softmax(Span<float> probs, ReadOnlySpan<float> logits, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            var z = logits.Slice(r * cols, cols);
            var p = probs.Slice(r * cols, cols);
            float max = TensorPrimitives.Max(z);
            TensorPrimitives.Subtract(z, max, p);
            TensorPrimitives.Exp(p, p);
            float sum = TensorPrimitives.Sum(p);
            TensorPrimitives.Multiply(p, 1f / sum, p);
        }
    }

    /// <summary>grad = p ⊙ (grad − ⟨grad, p⟩) row by row: the softmax Jacobian applied to dL/dp, in place.</summary>
    public static void SoftmaxBackward(Span<float> grad, ReadOnlySpan<float> probs, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
        {
            var g = grad.Slice(r * cols, cols);
            var p = probs.Slice(r * cols, cols);
            float dot = TensorPrimitives.Dot(g, p);
            TensorPrimitives.Subtract(g, dot, g);
            TensorPrimitives.Multiply(g, p, g);
        }
    }
}
