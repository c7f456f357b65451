using Fovea.Explain;
using Fovea.Layers;
using Fovea.Losses;
using Fovea.Models;
using Fovea.Optimizers;
using Fovea.Training;

namespace Fovea.Tests.Explain;

/// <summary>
/// Evidence that the maps point at what decided the class: pictures of noise with one small coloured square at a
/// random place, the colour being the class. A small CNN learns them in seconds; the map's maximum must fall inside
/// the square on at least 90% of pictures it was not trained on.
/// </summary>
public class GradCamLocalizationTests
{
    private const int Side = 32, Square = 6;
    private static readonly float[][] Colours = [[1f, 0.1f, 0.1f], [0.1f, 1f, 0.1f], [0.1f, 0.1f, 1f]];

    /// <summary>Pictures, their classes and the top-left corner of each one's square.</summary>
    internal static (Tensor X, int[] Y, (int Top, int Left)[] Boxes) Pictures(int count, int seed)
    {
        var rng = new Random(seed);
        var x = new Tensor(new Shape(count, Side, Side, 3));
        var y = new int[count];
        var boxes = new (int, int)[count];
        for (int i = 0; i < count; i++)
        {
            var data = x.Data.AsSpan(i * Side * Side * 3, Side * Side * 3);
            for (int k = 0; k < data.Length; k++) data[k] = 0.6f * rng.NextSingle();
            y[i] = rng.Next(Colours.Length);
            int top = rng.Next(Side - Square + 1), left = rng.Next(Side - Square + 1);
            boxes[i] = (top, left);
            for (int r = top; r < top + Square; r++)
                for (int c = left; c < left + Square; c++)
                    Colours[y[i]].CopyTo(data.Slice((r * Side + c) * 3, 3));
        }
        return (x, y, boxes);
    }

    /// <summary>Two 'same' convolutions, a pooling between, global average pooling and a softmax head.</summary>
    internal static Sequential SmallCnn(long seed) => new(
        new Conv2D(16, 3, Activation.Relu, Padding.Same, inputShape: new Shape(Side, Side, 3)),
        new MaxPool2D((2, 2)),
        new Conv2D(32, 3, Activation.Relu, Padding.Same),
        new GlobalAveragePooling2D(),
        new Dense(Colours.Length, Activation.Softmax)) { Seed = seed };

    [Fact]
    public void MapMaximumFallsInsideTheSquareOnHeldOutPictures()
    {
        var model = SmallCnn(seed: 1);
        model.Compile(new Adam(3e-3f), new SparseCategoricalCrossentropy());
        var (x, y, _) = Pictures(1200, seed: 1);
        model.Fit(x, y, batchSize: 32, epochs: 4, verbose: 0);

        var (tx, ty, boxes) = Pictures(200, seed: 2);
        var cam = GradCam.Compute(model, tx);
        int inside = 0, correct = 0;
        for (int i = 0; i < boxes.Length; i++)
        {
            if (cam.Classes[i] == ty[i]) correct++;
            int best = System.Numerics.Tensors.TensorPrimitives.IndexOfMax(cam.Upsampled.Data.AsSpan(i * Side * Side, Side * Side));
            var (top, left) = boxes[i];
            int r = best / Side, c = best % Side;
            if (r >= top && r < top + Square && c >= left && c < left + Square) inside++;
        }
        Assert.True(correct >= 190, $"the model classified {correct} of 200 held-out pictures");
        Assert.True(inside >= 180, $"the map's maximum fell inside the square on {inside} of 200 held-out pictures");
    }
}
