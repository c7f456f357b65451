using Fovea.Kernels;

namespace Fovea.Tests.Kernels;

public class ConvolutionTests
{
    public static TheoryData<string, int, int, int> Shapes => new()
    {
        // name (a geometry below), filters, batch, images per tile (0: default budget)
        { "whitening 2x2 valid 32x32x3", 24, 3, 0 },
        { "whitening 2x2 valid 32x32x3", 24, 3, 2 },
        { "3x3 same 9x7x5", 6, 7, 2 },
        { "3x3 same 9x7x5", 6, 7, 3 },
        { "3x3 valid 8x9x17", 11, 3, 0 },
        { "3x3 same stride 2 9x8x17", 9, 3, 1 },
        { "3x3 valid stride 2 11x10x3", 5, 7, 4 },
        { "3x2 same 6x7x1", 4, 3, 2 },
        { "2x2 same 5x5x5", 3, 1, 0 },
        { "2x2 valid stride 2 7x6x5", 7, 3, 2 },
        { "1x1 9x7x17", 19, 3, 0 },
        { "1x1 stride 2 7x7x5", 3, 7, 3 },
        { "3x3 same 6x5x40 (whole-SGEMM kernel gradient)", 48, 3, 2 },
        { "4x3 padded 5x6x3", 2, 3, 2 },
    };

    private static ConvGeometry Geometry(string name) => name switch
    {
        "whitening 2x2 valid 32x32x3" => ConvGeometry.Valid(32, 32, 3, 2, 2),
        "3x3 same 9x7x5" => ConvGeometry.Same(9, 7, 5, 3, 3),
        "3x3 valid 8x9x17" => ConvGeometry.Valid(8, 9, 17, 3, 3),
        "3x3 same stride 2 9x8x17" => ConvGeometry.Same(9, 8, 17, 3, 3, 2, 2),
        "3x3 valid stride 2 11x10x3" => ConvGeometry.Valid(11, 10, 3, 3, 3, 2, 2),
        "3x2 same 6x7x1" => ConvGeometry.Same(6, 7, 1, 3, 2),
        "2x2 same 5x5x5" => ConvGeometry.Same(5, 5, 5, 2, 2),
        "2x2 valid stride 2 7x6x5" => ConvGeometry.Valid(7, 6, 5, 2, 2, 2, 2),
        "1x1 9x7x17" => ConvGeometry.Valid(9, 7, 17, 1, 1),
        "1x1 stride 2 7x7x5" => ConvGeometry.Valid(7, 7, 5, 1, 1, 2, 2),
        "3x3 same 6x5x40 (whole-SGEMM kernel gradient)" => ConvGeometry.Same(6, 5, 40, 3, 3),
        "4x3 padded 5x6x3" => ConvGeometry.Padded(5, 6, 3, 4, 3, 1, 2, 2, 1, 1, 0),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void All_three_passes_match_the_direct_reference(string shape, int filters, int batch, int tileImages)
    {
        var g = Geometry(shape);
        var rng = new Random(7);
        foreach (var (bias, relu) in new[] { (true, true), (false, false) })
        {
            var c = new ConvolutionCase(g, filters, batch, tileImages, bias, relu);
            Assert.True(c.Check(rng, out string detail), detail);
        }
    }

    [Fact]
    public void Whole_images_per_tile_within_the_budget()
    {
        var g = ConvGeometry.Same(31, 31, 24, 3, 3);   // 961 × 216 floats of patches per image
        Assert.Equal(10, new Convolution(g, 64, 10 * 961 * 216 + 5).TileImages);
        Assert.Equal(1, new Convolution(g, 64, 100).TileImages);   // never less than one image
        Assert.Equal(int.MaxValue, new Convolution(ConvGeometry.Valid(8, 8, 64, 1, 1), 64).TileImages);
    }

    [Theory]
    [InlineData(32, 2, 1, 32, 0, 1)]    // even kernel: the one pad goes at the bottom/right
    [InlineData(31, 3, 1, 31, 1, 1)]
    [InlineData(32, 3, 2, 16, 0, 1)]    // total pad (16 − 1)·2 + 3 − 32 = 1
    [InlineData(31, 3, 2, 16, 1, 1)]    // total pad 2
    [InlineData(7, 1, 2, 4, 0, 0)]
    [InlineData(5, 3, 3, 2, 0, 1)]      // total pad (2 − 1)·3 + 3 − 5 = 1
    [InlineData(6, 2, 4, 2, 0, 0)]      // the kernel fits without padding: max(·, 0)
    public void Same_padding_matches_tensorflow(int size, int kernel, int stride, int outSize, int padBefore, int padAfter)
    {
        var g = ConvGeometry.Same(size, size, 4, kernel, kernel, stride, stride);
        int total = Math.Max((outSize - 1) * stride + kernel - size, 0);
        Assert.Equal(outSize, g.OutHeight);
        Assert.Equal(outSize, g.OutWidth);
        Assert.Equal(total / 2, g.PadTop);
        Assert.Equal(total - total / 2, g.PadBottom);
        Assert.Equal(g.PadTop, g.PadLeft);
        Assert.Equal(g.PadBottom, g.PadRight);
        Assert.Equal((padBefore, padAfter), (g.PadTop, g.PadBottom));
    }

    [Fact]
    public void Valid_geometry_sizes()
    {
        var g = ConvGeometry.Valid(32, 32, 3, 2, 2);
        Assert.Equal((31, 31, 12), (g.OutHeight, g.OutWidth, g.PatchSize));
        var s = ConvGeometry.Valid(11, 10, 3, 3, 3, 2, 2);
        Assert.Equal((5, 4), (s.OutHeight, s.OutWidth));
        Assert.True(ConvGeometry.Valid(4, 4, 8, 1, 1).IsPointwise);
        Assert.False(ConvGeometry.Valid(4, 4, 8, 1, 1, 2, 2).IsPointwise);
    }

    /// <summary>⟨Conv(x), y⟩ = ⟨x, Convᵀ(y)⟩ and ⟨Conv(x; w), y⟩ = ⟨w, dW(x, y)⟩, on random floats.</summary>
    [Theory]
    [InlineData("3x3 same stride 2 9x8x17", 9, 3)]
    [InlineData("3x2 same 6x7x1", 4, 5)]
    [InlineData("4x3 padded 5x6x3", 6, 2)]
    [InlineData("1x1 9x7x17", 5, 2)]
    public void Backward_passes_are_the_adjoints_of_forward(string shape, int filters, int batch)
    {
        var g = Geometry(shape);
        var plan = new Convolution(g, filters, 2 * g.OutPixels * g.PatchSize);
        var rng = new Random(3);
        var x = Random(rng, batch * g.InputSize);
        var w = Random(rng, g.PatchSize * filters);
        var y = Random(rng, batch * g.OutPixels * filters);
        var conv = new float[y.Length];
        plan.Forward(conv, x, w, ReadOnlyMemory<float>.Empty, relu: false, batch);
        var dx = new float[x.Length];
        plan.BackwardInput(dx, y, w, batch);
        var dw = new float[w.Length];
        plan.BackwardKernel(dw, y, x, batch);
        double convY = Dot(conv, y);
        Assert.Equal(convY, Dot(x, dx), 1e-4 * Math.Sqrt(y.Length));
        Assert.Equal(convY, Dot(w, dw), 1e-4 * Math.Sqrt(y.Length));
    }

    [Fact]
    public void Forward_and_input_gradient_do_not_depend_on_the_tile_size()
    {
        var g = ConvGeometry.Same(9, 7, 5, 3, 3);
        const int filters = 6, batch = 7;
        var rng = new Random(11);
        var x = Random(rng, batch * g.InputSize);
        var w = Random(rng, g.PatchSize * filters);
        var bias = Random(rng, filters);
        var dz = Random(rng, batch * g.OutPixels * filters);
        var results = new List<(float[] Y, float[] Dx)>();
        foreach (int tile in new[] { 1, 3, 0 })
        {
            var plan = tile > 0 ? new Convolution(g, filters, tile * g.OutPixels * g.PatchSize) : new Convolution(g, filters);
            var y = new float[dz.Length];
            var dx = new float[x.Length];
            plan.Forward(y, x, w, bias, relu: true, batch);
            plan.BackwardInput(dx, dz, w, batch);
            results.Add((y, dx));
        }
        foreach (var (y, dx) in results.Skip(1))
        {
            Assert.Equal(results[0].Y, y);
            Assert.Equal(results[0].Dx, dx);
        }
    }

    [Fact]
    public void Rejects_bad_arguments_naming_them()
    {
        var g = ConvGeometry.Valid(5, 5, 3, 3, 3);
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => new Convolution(g, 0));
        Assert.Equal("filters", e1.ParamName);
        Assert.Contains("got 0", e1.Message);
        var plan = new Convolution(g, 4);
        var e2 = Assert.Throws<ArgumentException>(() => plan.Forward(new float[2 * 9 * 4], new float[75], new float[108], ReadOnlyMemory<float>.Empty, false, 2));
        Assert.Equal("input", e2.ParamName);
        Assert.Contains("got 75", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => plan.Forward(new float[9 * 4], new float[75], new float[108], new float[3], false, 1));
        Assert.Equal("bias", e3.ParamName);
        var e4 = Assert.Throws<ArgumentException>(() => plan.BackwardKernel(new float[100], new float[36], new float[75], 1));
        Assert.Equal("kernelGrad", e4.ParamName);
        var e5 = Assert.Throws<ArgumentException>(() => ConvGeometry.Valid(2, 5, 3, 3, 3));
        Assert.Equal("kernelHeight", e5.ParamName);
        var e6 = Assert.Throws<ArgumentOutOfRangeException>(() => ConvGeometry.Same(5, 5, 3, 3, 3, 0, 1));
        Assert.Equal("strideHeight", e6.ParamName);
        var e7 = Assert.Throws<ArgumentOutOfRangeException>(() => ConvGeometry.Padded(5, 5, 3, 3, 3, 1, 1, 0, -1, 0, 0));
        Assert.Equal("padLeft", e7.ParamName);
    }

    internal static float[] Random(Random rng, int count)
    {
        var x = new float[count];
        for (int i = 0; i < count; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }

    private static double Dot(float[] a, float[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += (double)a[i] * b[i];
        return sum;
    }
}
