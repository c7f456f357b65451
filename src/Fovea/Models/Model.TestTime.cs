using Fovea.Data;
using Fovea.Data.Augmentation;
using Fovea.Kernels;

namespace Fovea.Models;

/// <summary>Test-time augmentation: the model's predictions averaged over mirrored and shifted views of each batch.</summary>
public partial class Model
{
    private float[] _ttaImages = [];
    private float[] _ttaSum = [];

    /// <summary>
    /// Gathers the batch <see cref="_batchIndices"/> of <paramref name="x"/>, runs each view of <paramref name="tta"/>
    /// (<see cref="TestTimeViews"/>) and leaves the weighted mean in the output buffer. When the model ends in a
    /// softmax, logits are averaged and the mean is also left where the loss reads the logits, as the recipe does.
    /// The plain view's scores go to <paramref name="plain"/> unless it is empty.
    /// </summary>
    private void ForwardWithTta(DataSource x, int batch, TestTimeAugmentation tta, Span<float> plain = default)
    {
        if (InputShape.Rank != 3) throw new NotSupportedException($"test-time augmentation needs image inputs (height, width, channels); the model takes {InputShape}");
        int h = InputShape[0], w = InputShape[1], c = InputShape[2], size = h * w * c, classes = Classes, n = batch * classes;
        if (_ttaImages.Length < _capacity * size) _ttaImages = new float[_capacity * size];
        if (_ttaSum.Length < _capacity * classes) _ttaSum = new float[_capacity * classes];
        x.Gather(_ttaImages, _batchIndices.AsSpan(0, batch));
        var sum = _ttaSum.AsSpan(0, n);
        sum.Clear();
        bool logits = !Logits(batch).IsEmpty;
        foreach (var view in TestTimeViews.Views((int)tta))
        {
            TestTimeViews.Render(InputBuffer, _ttaImages, batch, h, w, c, view);
            ForwardPass(batch, training: false);
            TestTimeViews.Accumulate(sum, logits ? Logits(batch) : OutputBuffer.AsSpan(0, n), view.Weight);
            if (!plain.IsEmpty && view is { Dy: 0, Dx: 0, Flip: false }) Scores(batch).CopyTo(plain);
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
}
