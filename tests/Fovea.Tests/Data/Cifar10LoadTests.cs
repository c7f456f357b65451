using Fovea.Data;

namespace Fovea.Tests.Data;

public sealed class Cifar10LoadTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    public enum Source { Archive, Folder, ParentFolder, FolderHoldingArchive }

    private string Write(FakeCifar10 fake, Source source) => source switch
    {
        Source.Archive => fake.WriteArchive(_temp["cifar-10-binary.tar.gz"]),
        Source.Folder => fake.WriteFolder(_temp.Path),
        Source.ParentFolder => Path.GetDirectoryName(fake.WriteFolder(_temp.Path))!,
        Source.FolderHoldingArchive => Path.GetDirectoryName(fake.WriteArchive(_temp["cifar-10-binary.tar.gz"]))!,
        _ => throw new ArgumentOutOfRangeException(nameof(source)),
    };

    private static void AssertImages((byte[] Pixels, int[] Labels) expected, LabeledImages actual)
    {
        Assert.Equal(expected.Labels, actual.Labels);
        Assert.Equal(new Shape(expected.Labels.Length, 32, 32, 3), actual.Images.Shape);
        Assert.True(expected.Pixels.AsSpan().SequenceEqual(actual.Images.Pixels), "pixels differ from the expected HWC images");
    }

    [Theory]
    [InlineData(Source.Archive)]
    [InlineData(Source.Folder)]
    [InlineData(Source.ParentFolder)]
    [InlineData(Source.FolderHoldingArchive)]
    public void Loads_every_image_label_and_class_name(Source source)
    {
        var fake = new FakeCifar10();

        var data = Cifar10.Load(Write(fake, source));

        AssertImages(fake.ExpectedTrain(), data.Train);
        AssertImages(fake.ExpectedTest(), data.Test);
        Assert.Equal(FakeCifar10.OfficialClassNames, data.ClassNames);
    }

    [Fact]
    public void Converts_colour_planes_to_interleaved_pixels()
    {
        // One record: R plane counts 0,1,2,... row-major, G is 100 + y, B is 200 + x.
        byte[] record = new byte[FakeCifar10.RecordSize];
        record[0] = 7;
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++)
            {
                record[1 + y * 32 + x] = (byte)(y * 32 + x);
                record[1 + 1024 + y * 32 + x] = (byte)(100 + y);
                record[1 + 2048 + y * 32 + x] = (byte)(200 + x);
            }
        var fake = new FakeCifar10 { Replace = { ["test_batch.bin"] = record } };

        var test = Cifar10.Load(Write(fake, Source.Folder)).Test;

        Assert.Equal([7], test.Labels);
        ReadOnlySpan<byte> image = test.Images[0]; // [32, 32, 3]
        Assert.Equal(new byte[] { 0, 100, 200 }, image[..3].ToArray());                          // (y 0, x 0)
        Assert.Equal(new byte[] { 1, 100, 201 }, image.Slice(3, 3).ToArray());                   // (y 0, x 1)
        Assert.Equal(new byte[] { 32, 101, 200 }, image.Slice(32 * 3, 3).ToArray());             // (y 1, x 0)
        Assert.Equal(new byte[] { 255, 107, 231 }, image.Slice((7 * 32 + 31) * 3, 3).ToArray()); // (y 7, x 31)
        Assert.Equal(new byte[] { 255, 131, 231 }, image[^3..].ToArray());                      // (y 31, x 31): 1023 wraps to 255
    }

    [Theory]
    [InlineData(Source.Archive, 0)]
    [InlineData(Source.Archive, 1)]
    [InlineData(Source.Archive, 4)]  // crosses from batch 1 into batch 2
    [InlineData(Source.Archive, 15)] // exactly all
    [InlineData(Source.Archive, 100)]
    [InlineData(Source.Folder, 0)]
    [InlineData(Source.Folder, 4)]
    [InlineData(Source.Folder, 13)]
    [InlineData(Source.Folder, 100)]
    public void Train_limit_keeps_the_first_images_in_batch_order(Source source, int limit)
    {
        var fake = new FakeCifar10();

        var data = Cifar10.Load(Write(fake, source), trainLimit: limit);

        AssertImages(fake.ExpectedTrain(limit), data.Train);
        AssertImages(fake.ExpectedTest(), data.Test);
    }

    [Theory]
    [InlineData(Source.Archive, null)]
    [InlineData(Source.Archive, 6)]
    [InlineData(Source.Folder, null)]
    [InlineData(Source.Folder, 6)]
    public void Batches_of_different_sizes_load_in_order(Source source, int? limit)
    {
        // The archive reader guesses equal batches (data_batch_4 comes first); these break the guess.
        var fake = new FakeCifar10 { TrainCounts = [3, 1, 4, 1, 5], TestCount = 2 };

        var data = Cifar10.Load(Write(fake, source), limit);

        AssertImages(fake.ExpectedTrain(limit), data.Train);
        AssertImages(fake.ExpectedTest(), data.Test);
    }

    [Fact]
    public void Class_names_ignore_blank_lines_and_carriage_returns()
    {
        string text = "\r\n" + string.Join("\r\n\n", FakeCifar10.OfficialClassNames); // no final newline either
        var fake = new FakeCifar10 { Replace = { ["batches.meta.txt"] = System.Text.Encoding.ASCII.GetBytes(text) } };

        Assert.Equal(FakeCifar10.OfficialClassNames, Cifar10.Load(Write(fake, Source.Archive)).ClassNames);
    }

    [Fact]
    public void Deconstructs_like_keras_load_data()
    {
        var fake = new FakeCifar10();

        var ((xTrain, yTrain), (xTest, yTest)) = Cifar10.Load(Write(fake, Source.Archive));

        Assert.Equal(new Shape(15, 32, 32, 3), xTrain.Shape);
        Assert.Equal(15, yTrain.Length);
        Assert.Equal(new Shape(4, 32, 32, 3), xTest.Shape);
        Assert.Equal(4, yTest.Length);
    }
}
