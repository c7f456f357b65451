using Fovea.Zoo;
using Fovea.Layers;
using Fovea.Models;

namespace Fovea.Tests.Models;

public class FlopCounterTests
{
    [Fact]
    public void TutorialModelMatchesTheHandCount()
    {
        // Per image, 2·m·n·k per GEMM:
        //   conv2d    m = 30·30 pixels, n = 32 filters, k = 3·3·3 taps:   2·900·32·27   = 1,555,200 (forward, dW; no dX)
        //   conv2d_1  m = 13·13,        n = 64,          k = 3·3·32:      2·169·64·288  = 6,230,016 (forward, dW, dX)
        //   dense     m = 1,            n = 64,          k = 6·6·64:      2·2304·64     =   294,912 (forward, dW, dX)
        //   dense_1   m = 1,            n = 10,          k = 64:          2·64·10       =     1,280 (forward, dW, dX)
        var flops = FlopCounter.PerLayer(ModelZoo.SeedCnn());
        Assert.Equal(
        [
            new("conv2d", 1_555_200, 1_555_200, 0),
            new("max_pooling2d", 0, 0, 0),
            new("conv2d_1", 6_230_016, 6_230_016, 6_230_016),
            new("max_pooling2d_1", 0, 0, 0),
            new("flatten", 0, 0, 0),
            new("dense", 294_912, 294_912, 294_912),
            new FlopCounter.LayerFlops("dense_1", 1_280, 1_280, 1_280),
        ], flops);
        // 2·1,555,200 + 3·(6,230,016 + 294,912 + 1,280) = 22,689,024
        Assert.Equal(22_689_024, FlopCounter.TrainingPerImage(ModelZoo.SeedCnn()));
        Assert.Equal(1_555_200 + 6_230_016 + 294_912 + 1_280, FlopCounter.InferencePerImage(ModelZoo.SeedCnn()));
    }

    [Fact]
    public void SamePaddingCountsEveryOutputPixelAndTheFirstLayerHasNoInputGradient()
    {
        // 'same' keeps 8×6 output pixels; the GEMM runs over the zero-padded taps too: 2·48·5·(3·3·2) = 8,640.
        // A first Dense layer has no dX either: 2·1·4·(8·6·5) = 1,920 for forward and dW.
        var model = new Sequential(
            new Conv2D(5, 3, padding: Padding.Same, inputShape: (8, 6, 2)),
            new Flatten(),
            new Dense(4));
        Assert.Equal([8_640L, 1_920], FlopCounter.PerLayer(model).Where(l => l.Forward > 0).Select(l => l.Forward));
        Assert.Equal(2 * 8_640 + 3 * 1_920, FlopCounter.TrainingPerImage(model));

        var dense = new Sequential(new Dense(3, inputShape: new Shape(7)));
        Assert.Equal(new FlopCounter.LayerFlops("dense", 42, 42, 0), FlopCounter.PerLayer(dense)[0]);
    }

    [Fact]
    public void AnUnbuiltLayerIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => FlopCounter.For(new Dense(3)));
        Assert.Contains("must be built", e.Message);
    }
}
