using Fovea.Data;

namespace Fovea.Tests.Data;

/// <summary>Fashion-MNIST and MNIST from folders of IDX files, plain or gzipped, as Keras's <c>load_data()</c> returns them.</summary>
[Collection(DownloadCollection.Name)]
public sealed class IdxLoadTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static void AssertSet(LabeledImages set, int setIndex, int count)
    {
        Assert.Equal(new Shape(count, 28, 28, 1), set.Images.Shape);
        Assert.Equal(Enumerable.Range(0, count).Select(i => (int)FakeIdx.Label(setIndex, i)), set.Labels);
        for (int i = 0; i < count; i++)
        {
            var image = set.Images[i];
            for (int y = 0; y < 28; y++)
                for (int x = 0; x < 28; x++)
                    Assert.Equal(FakeIdx.Pixel(setIndex, i, y, x), image[y * 28 + x]);
        }
    }

    [Fact]
    public void Plain_files_load_as_keras_arrays_with_fashion_class_names()
    {
        string folder = new FakeIdx { TrainCount = 5, TestCount = 3 }.Write(_temp.Path, gzip: false);

        var data = FashionMnist.Load(folder);
        var ((xTrain, yTrain), (xTest, yTest)) = data;

        AssertSet(data.Train, 0, 5);
        AssertSet(data.Test, 1, 3);
        Assert.Same(data.Train.Images, xTrain);
        Assert.Same(data.Test.Labels, yTest);
        Assert.Equal(5, yTrain.Length);
        Assert.Equal(3, xTest.Count);
        Assert.Equal(["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"], data.ClassNames);
    }

    [Fact]
    public void Mnist_class_names_are_the_digits()
    {
        var data = Mnist.Load(new FakeIdx().Write(_temp.Path, gzip: false));

        Assert.Equal(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"], data.ClassNames);
        AssertSet(data.Train, 0, 5);
    }

    [Fact]
    public void Gzipped_files_matching_their_published_checksums_load()
    {
        string folder = new FakeIdx { TrainCount = 4, TestCount = 2 }.Write(_temp.Path, gzip: true);

        var data = IdxDatasetLoader.Load(FakeIdx.SpecFor(IdxDatasetSpec.FashionMnist, folder), folder);

        AssertSet(data.Train, 0, 4);
        AssertSet(data.Test, 1, 2);
    }

    [Fact]
    public void Gzipped_file_is_read_where_both_forms_are_there()
    {
        var fake = new FakeIdx();
        string folder = fake.Write(_temp.Path, gzip: true);
        var spec = FakeIdx.SpecFor(IdxDatasetSpec.Mnist, folder);
        // An unpacked copy with other labels beside the .gz: the checked .gz wins.
        byte[] otherLabels = FakeIdx.LabelsBytes(7, 5);
        File.WriteAllBytes(Path.Combine(folder, "train-labels-idx1-ubyte"), otherLabels);

        Assert.Equal(Enumerable.Range(0, 5).Select(i => (int)FakeIdx.Label(0, i)), IdxDatasetLoader.Load(spec, folder).Train.Labels);
    }

    [Fact]
    public void Published_name_with_other_content_fails_its_checksum()
    {
        string folder = new FakeIdx().Write(_temp.Path, gzip: true);
        string file = Path.Combine(folder, "train-images-idx3-ubyte.gz");
        string md5 = FakeIdx.Md5(File.ReadAllBytes(file));

        var ex = Assert.Throws<InvalidDataFileException>(() => FashionMnist.Load(folder));

        Assert.Equal(
            $"{file}: MD5 {md5} does not match the published Fashion-MNIST train-images-idx3-ubyte.gz (8d4fb7e6c68d591d4c3dfef9ec88bf0d), " +
            "nor does its inflated content match the published content; the file is damaged or not the published one (unpacked IDX files are not checked and load as they are)",
            ex.Message);
    }

    [Fact]
    public void Mnist_checksum_message_has_no_content_clause()
    {
        string folder = new FakeIdx().Write(_temp.Path, gzip: true);
        string file = Path.Combine(folder, "train-images-idx3-ubyte.gz");

        var ex = Assert.Throws<InvalidDataFileException>(() => Mnist.Load(folder));

        Assert.Equal(
            $"{file}: MD5 {FakeIdx.Md5(File.ReadAllBytes(file))} does not match the published MNIST train-images-idx3-ubyte.gz (f68b3c2dcbeaaa9fbdd348bbdeb94873); " +
            "the file is damaged or not the published one (unpacked IDX files are not checked and load as they are)",
            ex.Message);
    }

    [Fact]
    public void Recompressed_copy_of_the_published_content_is_accepted()
    {
        // As Debian's package: other .gz bytes (the file name dropped from the gzip header), the same IDX content.
        var fake = new FakeIdx();
        string folder = fake.Write(_temp.Path, gzip: true);
        var spec = FakeIdx.SpecFor(IdxDatasetSpec.FashionMnist, folder);
        IdxFileSpec Recompressed(IdxFileSpec f) => f with { PublishedMd5 = new string('0', 32), InflatedMd5 = FakeIdx.Md5(fake.PlainBytes(f.PlainName)) };
        spec = spec with { TrainImages = Recompressed(spec.TrainImages), TestLabels = Recompressed(spec.TestLabels) };

        AssertSet(IdxDatasetLoader.Load(spec, folder).Train, 0, 5);
    }

    [Fact]
    public async Task Complete_local_copy_is_found_without_a_download()
    {
        string cached = new FakeIdx().Write(Path.Combine(_temp.Path, "fashion-mnist"), gzip: false);

        string found = await IdxDatasetLoader.EnsureAsync(IdxDatasetSpec.FashionMnist, _temp.Path, LocalHttpServer.UnreachableFolder(), null, default);

        Assert.Equal(cached, found);
    }

    [Fact]
    public async Task System_folder_is_searched_after_the_cache()
    {
        string system = new FakeIdx().Write(_temp["debian"], gzip: false);
        var spec = IdxDatasetSpec.FashionMnist with { SystemFolders = [system] };

        Assert.Equal([Path.Combine(_temp["cache"], "fashion-mnist"), system], IdxDatasetLoader.SearchFolders(spec, _temp["cache"]));
        Assert.Equal(system, await IdxDatasetLoader.EnsureAsync(spec, _temp["cache"], LocalHttpServer.UnreachableFolder(), null, default));
        Assert.Equal(["/usr/share/datasets/fashion-mnist"], IdxDatasetSpec.FashionMnist.SystemFolders);
        Assert.Equal(FashionMnist.DebianFolder, IdxDatasetSpec.FashionMnist.SystemFolders[0]);
    }
}
