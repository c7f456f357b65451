using System.Numerics.Tensors;
using Fovea.Data;
using Fovea.Kernels;

namespace Fovea.Models;

/// <summary>Test-time augmentation: the model's predictions averaged over mirrored and shifted views of each batch.</summary>
public partial class Model
{
    private float[] _ttaImages = [];
    private float[] _ttaSum = [];

    /// <summary>
    /// Gathers the batch <see cref="_batchIndices"/> of <paramref name="x"/>, runs each view of <paramref name="tta"/>
    /// and leaves the averaged prediction in the output buffer (and the averaged logits where the loss reads them).
    /// </summary>
    private void ForwardWithTta(DataSource x, int batch, TestTimeAugmentation tta)
    {
        if (InputShape.Rank != 3) throw new NotSupportedException($"test-time augmentation needs image inputs (height, width, channels); the model takes {InputShape}");
        int size = (int)InputShape.Size, classes = Classes, n = batch * classes;
        if (_ttaImages.Length < _capacity * size) _ttaImages = new float[_capacity * size];
        if (_ttaSum.Length < _capacity * classes) _ttaSum = new float[_capacity * classes];
        x.Gather(_ttaImages, _batchIndices.AsSpan(0, batch));
        var sum = _ttaSum.AsSpan(0, n);
        sum.Clear();
        bool logits = !Logits(batch).IsEmpty;
        // airbench94: mirror(x) = ½f(x) + ½f(flip x); level 2 adds ¼·mirror of the views shifted by (−1, −1) and (+1, +1).
        if (tta == TestTimeAugmentation.MirrorTranslate)
        {
            AddMirrorPair(batch, 0.5f, 0, logits);
            AddMirrorPair(batch, 0.25f, -1, logits);
            AddMirrorPair(batch, 0.25f, 1, logits);
        }
        else
        {
            AddMirrorPair(batch, 1f, 0, logits);
        }
        var output = OutputBuffer.AsSpan(0, n);
        if (logits)
        {
            sum.CopyTo(Logits(batch));
            ActivationKernels.Softmax(output, sum, batch, classes);
        }
        else
        {
            sum.CopyTo(output);
        }
    }

    private void AddMirrorPair(int batch, float weight, int shift, bool logits)
    {
        int h = InputShape[0], w = InputShape[1], c = InputShape[2], size = h * w * c;
        var input = InputBuffer.AsSpan(0, batch * size);
        var images = _ttaImages.AsSpan(0, batch * size);
        if (shift == 0) images.CopyTo(input);
        else ImageTransforms.Translate(input, images, batch, h, w, c, shift, shift);
        AddView(batch, weight / 2, logits);
        // The mirror image of the same view, flipped in place.
        FlipInPlace(input, batch, h, w, c);
        AddView(batch, weight / 2, logits);
    }

    private static void FlipInPlace(Span<float> images, int batch, int h, int w, int c)
    {
        for (int n = 0; n < batch; n++)
            for (int y = 0; y < h; y++)
            {
                var row = images.Slice((n * h + y) * w * c, w * c);
                for (int x = 0; x < w / 2; x++)
                    for (int k = 0; k < c; k++)
                        (row[x * c + k], row[(w - 1 - x) * c + k]) = (row[(w - 1 - x) * c + k], row[x * c + k]);
            }
    }

    private void AddView(int batch, float weight, bool logits)
    {
        ForwardPass(batch, training: false);
        var sum = _ttaSum.AsSpan(0, batch * Classes);
        ReadOnlySpan<float> result = logits ? Logits(batch) : OutputBuffer.AsSpan(0, batch * Classes);
        TensorPrimitives.MultiplyAdd(result, weight, sum, sum);
    }
}
