using System.Text.Json.Nodes;

namespace Fovea.Layers;

/// <summary>
/// Keras's <c>Resizing</c> with bilinear interpolation: each image of (H, W, C) becomes (height, width, C), the output
/// pixel (y, x) read at ((y + ½)·H/height − ½, (x + ½)·W/width − ½) of the input, clamped to its edges (half-pixel
/// centres, as TensorFlow's <c>resize</c> without antialiasing). It lets a network made for large pictures
/// (an ImageNet backbone) take small ones while augmentation still works on the small ones. Backward scatters each
/// output gradient to the four input pixels it was read from, with the same weights.
/// </summary>
public sealed class Resizing : UnaryLayer, ILayerFactory
{
    private Tap[] _rows = [];
    private Tap[] _cols = [];

    /// <summary>Resizes every image to <paramref name="height"/> × <paramref name="width"/> (Keras's <c>Resizing</c>, bilinear).</summary>
    /// <param name="height">Output height in pixels.</param>
    /// <param name="width">Output width in pixels.</param>
    /// <param name="name">The layer's name; by default one is made from <see cref="NameStem"/>.</param>
    /// <param name="inputShape">The input shape, when this is a model's first layer.</param>
    public Resizing(int height, int width, string? name = null, Shape? inputShape = null) : base(name, inputShape)
    {
        if (height is < 1 or > 1 << 14) throw new ArgumentOutOfRangeException(nameof(height), $"height must be in [1, 16384]; got {height}");
        if (width is < 1 or > 1 << 14) throw new ArgumentOutOfRangeException(nameof(width), $"width must be in [1, 16384]; got {width}");
        Height = height;
        Width = width;
    }

    /// <summary>Output height in pixels.</summary>
    public int Height { get; }
    /// <summary>Output width in pixels.</summary>
    public int Width { get; }

    /// <summary>The class name saved models record for this layer.</summary>
    public static string ClassName => "Resizing";

    /// <inheritdoc/>
    public override string TypeName => ClassName;
    /// <inheritdoc/>
    public override string NameStem => "resizing";
    internal override bool IndependentSamplesInTraining => true;
    internal override bool BackwardNeedsInputs => false;
    internal override bool BackwardNeedsOutput => false;

    /// <inheritdoc/>
    public override Shape ComputeOutputShape(Shape inputShape)
    {
        if (inputShape.Rank != 3) throw new ArgumentException($"Resizing needs images of shape (height, width, channels); got {inputShape}");
        return new Shape(Height, Width, inputShape[2]);
    }

    /// <inheritdoc/>
    protected override void BuildWeights(Shape inputShape, Rng rng)
    {
        _rows = Taps(inputShape[0], Height);
        _cols = Taps(inputShape[1], Width);
    }

    /// <summary>Where each of <paramref name="outSize"/> output positions reads from an axis of <paramref name="inSize"/>.</summary>
    private static Tap[] Taps(int inSize, int outSize)
    {
        var taps = new Tap[outSize];
        double ratio = (double)inSize / outSize;
        for (int o = 0; o < outSize; o++)
        {
            double at = Math.Clamp((o + 0.5) * ratio - 0.5, 0, inSize - 1);
            int lo = (int)at;
            taps[o] = new Tap(lo, Math.Min(lo + 1, inSize - 1), (float)(at - lo));
        }
        return taps;
    }

    /// <inheritdoc/>
    public override void Forward(float[] output, float[] input, in StepContext step)
    {
        int c = InputShape[2], inW = InputShape[1], inSize = (int)InputShape.Size, outSize = (int)OutputShape.Size;
        for (int n = 0; n < step.Batch; n++)
        {
            var x = input.AsSpan(n * inSize, inSize);
            var y = output.AsSpan(n * outSize, outSize);
            for (int oy = 0; oy < Height; oy++)
            {
                var r = _rows[oy];
                for (int ox = 0; ox < Width; ox++)
                {
                    var q = _cols[ox];
                    int a = (r.Lo * inW + q.Lo) * c, b = (r.Lo * inW + q.Hi) * c, d = (r.Hi * inW + q.Lo) * c, e = (r.Hi * inW + q.Hi) * c;
                    int o = (oy * Width + ox) * c;
                    for (int k = 0; k < c; k++)
                    {
                        float top = x[a + k] + (x[b + k] - x[a + k]) * q.Weight;
                        float bottom = x[d + k] + (x[e + k] - x[d + k]) * q.Weight;
                        y[o + k] = top + (bottom - top) * r.Weight;
                    }
                }
            }
        }
    }

    /// <inheritdoc/>
    public override void Backward(float[]? inputGrad, float[] outputGrad, float[] input, float[] output, in StepContext step)
    {
        if (inputGrad is null) return;
        int c = InputShape[2], inW = InputShape[1], inSize = (int)InputShape.Size, outSize = (int)OutputShape.Size;
        inputGrad.AsSpan(0, step.Batch * inSize).Clear();
        for (int n = 0; n < step.Batch; n++)
        {
            var dx = inputGrad.AsSpan(n * inSize, inSize);
            var dy = outputGrad.AsSpan(n * outSize, outSize);
            for (int oy = 0; oy < Height; oy++)
            {
                var r = _rows[oy];
                for (int ox = 0; ox < Width; ox++)
                {
                    var q = _cols[ox];
                    int a = (r.Lo * inW + q.Lo) * c, b = (r.Lo * inW + q.Hi) * c, d = (r.Hi * inW + q.Lo) * c, e = (r.Hi * inW + q.Hi) * c;
                    int o = (oy * Width + ox) * c;
                    for (int k = 0; k < c; k++)
                    {
                        float g = dy[o + k], top = g * (1 - r.Weight), bottom = g * r.Weight;
                        dx[a + k] += top * (1 - q.Weight);
                        dx[b + k] += top * q.Weight;
                        dx[d + k] += bottom * (1 - q.Weight);
                        dx[e + k] += bottom * q.Weight;
                    }
                }
            }
        }
    }

    /// <summary>Rebuilds the layer from the configuration <see cref="GetConfig"/> wrote (Keras's <c>from_config</c>).</summary>
    public static Layer FromConfig(ConfigReader config, string? name, Shape? inputShape) =>
        new Resizing(config.Int("height", 1, 1 << 14), config.Int("width", 1, 1 << 14), name, inputShape);

    /// <inheritdoc/>
    public override JsonObject GetConfig()
    {
        var config = BaseConfig();
        config["height"] = Height;
        config["width"] = Width;
        config["interpolation"] = "bilinear";
        return config;
    }

    /// <summary>An output position's two input neighbours along one axis and the weight of the second.</summary>
    private readonly record struct Tap(int Lo, int Hi, float Weight);
}
