using Fovea.Data.Augmentation;
using Fovea.Tests.Models;

namespace Fovea.Tests.Data.Augmentation;

/// <summary>What a pipeline gives depends on (seed, epoch, sample index) only; it describes and serialises itself.</summary>
[Collection(EngineSettingsCollection.Name)]
public sealed class AugmentationPipelineTests
{
    private const int H = 9, W = 7, C = 3, Size = H * W * C;

    private static AugmentationPipeline Everything() =>
        new(new RandomTranslate(2), new AlternatingFlip(), new RandomFlip(0.3), new RandomCrop(H, W, 1), new Cutout(3));

    private static (float[] Batch, int[] Indices) Data(int count)
    {
        int[] indices = [.. Enumerable.Range(0, count).Select(j => j * 7919 % 1000)];
        var batch = new float[count * Size];
        for (int j = 0; j < count; j++) ImageTransformsTests.Image(H, W, C, salt: indices[j]).CopyTo(batch, j * Size);
        return (batch, indices);
    }

    private static float[] Augmented(int threads, int count, int epoch, long seed = 5)
    {
        using var _ = new EngineThreads(threads);
        var (batch, indices) = Data(count);
        Everything().Apply(batch, indices, H, W, C, epoch, seed);
        return batch;
    }

    [Fact]
    public void Same_pixels_on_one_thread_or_two_and_run_after_run()
    {
        float[] one = Augmented(1, 37, epoch: 4), two = Augmented(2, 37, epoch: 4), again = Augmented(2, 37, epoch: 4);

        Assert.Equal(one, two);
        Assert.Equal(two, again);
        Assert.NotEqual(Data(37).Batch, one);
    }

    [Fact]
    public void Each_image_depends_on_its_sample_index_not_on_the_batch_it_is_in()
    {
        var pipeline = Everything();
        var (batch, indices) = Data(20);
        float[] whole = (float[])batch.Clone();
        pipeline.Apply(whole, indices, H, W, C, 2, 99);

        // Image 13 alone, and images 13..5 reversed, as a resumed run or another shuffle would gather them.
        float[] alone = batch.AsSpan(13 * Size, Size).ToArray();
        pipeline.Apply(alone, [indices[13]], H, W, C, 2, 99);
        int[] reversed = [.. indices[5..14].Reverse()];
        float[] other = new float[reversed.Length * Size];
        for (int j = 0; j < reversed.Length; j++) batch.AsSpan((13 - j) * Size, Size).CopyTo(other.AsSpan(j * Size));
        pipeline.Apply(other, reversed, H, W, C, 2, 99);

        Assert.Equal(whole.AsSpan(13 * Size, Size).ToArray(), alone);
        for (int j = 0; j < reversed.Length; j++)
            Assert.Equal(whole.AsSpan((13 - j) * Size, Size).ToArray(), other.AsSpan(j * Size, Size).ToArray());
    }

    [Fact]
    public void Epochs_and_seeds_draw_differently()
    {
        float[] epoch1 = Augmented(2, 16, epoch: 1), epoch2 = Augmented(2, 16, epoch: 2), otherSeed = Augmented(2, 16, epoch: 1, seed: 6);

        Assert.NotEqual(epoch1, epoch2);
        Assert.NotEqual(epoch1, otherSeed);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Applying_allocates_nothing_once_warm(int threads)
    {
        using var _ = new EngineThreads(threads);
        var pipeline = Everything();
        var (batch, indices) = Data(64);
        for (int i = 0; i < 20; i++) pipeline.Apply(batch, indices, H, W, C, i + 1, 3);

        int epoch = 20;
        var (caller, all) = AllocationMeter.Measure(() => pipeline.Apply(batch, indices, H, W, C, ++epoch, 3), steps: 50);

        Assert.True(caller < 1_000, $"the calling thread allocated {caller} bytes"); // as AllocationTests: a new pool's first wait allocates once
        Assert.True(all < 16 * 1024, $"50 batches on {threads} thread(s) allocated {all} bytes"); // room for the test host's own
    }

    [Fact]
    public void Describes_itself_in_one_line()
    {
        Assert.Equal(
            "RandomTranslate(pad=2, reflect) → AlternatingFlip(horizontal) → RandomFlip(horizontal, p=0.3) → RandomCrop(size=9x7, padding=1, zeros) → Cutout(size=3)",
            Everything().Describe());
        Assert.Equal("RandomCrop(size=32, padding=4, zeros)", new RandomCrop(32, 4).ToString());
        Assert.Equal("none", new AugmentationPipeline().ToString());
    }

    [Fact]
    public void Json_round_trips_to_the_same_pixels()
    {
        var pipeline = Everything();
        string json = pipeline.ToJson();
        var back = AugmentationPipeline.FromJson(json);

        Assert.Equal(
            """{"ops":[{"type":"random_translate","pad":2},{"type":"alternating_flip"},{"type":"random_flip","probability":0.3},{"type":"random_crop","height":9,"width":7,"padding":1},{"type":"cutout","size":3}]}""",
            json);
        Assert.Equal(json, back.ToJson());
        Assert.Equal(pipeline.Describe(), back.Describe());
        var (a, indices) = Data(10);
        float[] b = (float[])a.Clone();
        pipeline.Apply(a, indices, H, W, C, 3, 8);
        back.Apply(b, indices, H, W, C, 3, 8);
        Assert.Equal(a, b);
    }

    [Theory]
    [InlineData("""{"ops":[{"type":"rotate"}]}""", "augmentation config: ops[0]: unknown op type 'rotate'")]
    [InlineData("""{"ops":[{"type":"cutout","size":4,"colour":1}]}""", "augmentation config: ops[0] (cutout) has no setting 'colour'")]
    [InlineData("""{"ops":[{"type":"cutout"}]}""", "augmentation config: ops[0] needs \"size\" as an integer; got nothing")]
    [InlineData("""{"ops":[{"type":"random_flip","probability":"half"}]}""", "augmentation config: ops[0] needs \"probability\" as a number; got \"half\"")]
    [InlineData("""{"ops":[{"type":"random_translate","pad":1.5}]}""", "augmentation config: ops[0] needs \"pad\" as an integer; got 1.5")]
    [InlineData("""{"ops":[{"type":"alternating_flip"},{"type":"random_translate","pad":-2}]}""", "augmentation config: ops[1]: pad must be non-negative; got -2 (Parameter 'pad')")]
    [InlineData("""{"ops":[{"pad":2}]}""", "augmentation config: ops[0] must be an object with a string \"type\"")]
    [InlineData("""[1]""", "augmentation config: expected an object with one key, \"ops\", holding a list")]
    [InlineData("""{"ops":[]""", "augmentation config: not valid JSON: ")]
    public void Bad_json_is_refused_with_one_line(string json, string message)
    {
        var ex = Assert.Throws<FoveaException>(() => AugmentationPipeline.FromJson(json));

        Assert.StartsWith(message, ex.Message);
        Assert.DoesNotContain('\n', ex.Message);
    }
}
