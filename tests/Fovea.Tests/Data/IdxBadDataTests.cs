using Fovea.Data;

namespace Fovea.Tests.Data;

/// <summary>Every malformed IDX input fails with an <see cref="InvalidDataFileException"/> whose one-line message names the file.</summary>
public sealed class IdxBadDataTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>Writes the fake with <paramref name="name"/> replaced (plain), loads it, and returns the message.</summary>
    private string LoadFails(string name, byte[] bytes, out string file)
    {
        var fake = new FakeIdx { Replace = { [name] = bytes } };
        string folder = fake.Write(_temp.Path, gzip: false);
        file = Path.Combine(folder, name);
        return LoadFails(folder);
    }

    /// <summary>As <see cref="LoadFails(string, byte[], out string)"/>, every file gzipped (checksums taken from the files written).</summary>
    private string GzipLoadFails(string name, byte[] bytes, out string file)
    {
        var fake = new FakeIdx { Replace = { [name] = bytes } };
        string folder = fake.Write(_temp.Path, gzip: true);
        file = Path.Combine(folder, name + ".gz");
        var spec = FakeIdx.SpecFor(IdxDatasetSpec.FashionMnist, folder);
        return Message(Assert.Throws<InvalidDataFileException>(() => IdxDatasetLoader.Load(spec, folder)));
    }

    private static string LoadFails(string folder) => Message(Assert.Throws<InvalidDataFileException>(() => FashionMnist.Load(folder)));

    private static string Message(Exception ex)
    {
        Assert.DoesNotContain('\n', ex.Message);
        return ex.Message;
    }

    private static byte[] With(byte[] bytes, int at, byte value)
    {
        bytes[at] = value;
        return bytes;
    }

    [Fact]
    public void Magic_number_of_another_format_is_refused()
    {
        string message = LoadFails("train-images-idx3-ubyte", With(FakeIdx.ImagesBytes(0, 5), 0, 0x50), out string file);

        Assert.Equal($"{file}: magic number 0x50000803 is not an IDX file's; expected 0x00000803 (unsigned bytes in 3 dimensions: images, rows, columns)", message);
    }

    [Fact]
    public void Element_type_other_than_unsigned_bytes_is_refused()
    {
        string message = LoadFails("t10k-images-idx3-ubyte", With(FakeIdx.ImagesBytes(1, 3), 2, 0x0D), out string file);

        Assert.Equal($"{file}: magic number 0x00000D03 says element type 0x0D, not unsigned bytes (0x08); expected 0x00000803 (unsigned bytes in 3 dimensions: images, rows, columns)", message);
    }

    [Fact]
    public void Labels_file_in_place_of_images_has_the_wrong_dimension_count()
    {
        string message = LoadFails("train-images-idx3-ubyte", FakeIdx.LabelsBytes(0, 5), out string file);

        Assert.Equal($"{file}: magic number 0x00000801 says 1 dimension; expected 0x00000803 (unsigned bytes in 3 dimensions: images, rows, columns)", message);
    }

    [Fact]
    public void Images_file_in_place_of_labels_has_the_wrong_dimension_count()
    {
        string message = LoadFails("t10k-labels-idx1-ubyte", FakeIdx.ImagesBytes(1, 3), out string file);

        Assert.Equal($"{file}: magic number 0x00000803 says 3 dimensions; expected 0x00000801 (unsigned bytes in 1 dimension: labels)", message);
    }

    [Fact]
    public void Label_count_that_disagrees_with_the_image_count_is_refused()
    {
        var fake = new FakeIdx { Replace = { ["train-labels-idx1-ubyte"] = FakeIdx.LabelsBytes(0, 4) } };
        string folder = fake.Write(_temp.Path, gzip: false);

        Assert.Equal(
            $"{Path.Combine(folder, "train-labels-idx1-ubyte")} holds 4 labels but {Path.Combine(folder, "train-images-idx3-ubyte")} holds 5 images; they must be as many",
            LoadFails(folder));
    }

    [Fact]
    public void Images_of_another_size_are_refused()
    {
        string message = LoadFails("train-images-idx3-ubyte", FakeIdx.ImagesBytes(0, 5, rows: 32, columns: 30), out string file);

        Assert.Equal($"{file}: images are 32x30; Fashion-MNIST images are 28x28", message);
    }

    [Fact]
    public void Truncated_plain_file_is_refused_before_reading()
    {
        byte[] bytes = FakeIdx.ImagesBytes(0, 5);
        string message = LoadFails("train-images-idx3-ubyte", bytes[..^100], out string file);

        Assert.Equal($"{file}: size 3836 bytes is less than its header promises 5 images of 28x28 (3936 bytes with the 16-byte header); the file is truncated", message);
    }

    [Fact]
    public void Trailing_bytes_after_a_plain_file_are_refused()
    {
        string message = LoadFails("t10k-labels-idx1-ubyte", [.. FakeIdx.LabelsBytes(1, 3), 0, 0], out string file);

        Assert.Equal($"{file}: size 13 bytes is more than its header promises 3 labels (11 bytes with the 8-byte header); 2 bytes of trailing data", message);
    }

    [Fact]
    public void Truncated_gzipped_file_names_the_inflated_offset_and_image()
    {
        // 2 whole images and 10 bytes of a third: the data stops at 16 + 2 * 784 + 10 = 1594.
        byte[] bytes = FakeIdx.ImagesBytes(0, 5)[..(16 + 2 * 784 + 10)];

        string message = GzipLoadFails("train-images-idx3-ubyte", bytes, out string file);

        Assert.Equal($"{file}: inflated data ends at byte offset 1594, inside image 2; its header promises 3936 bytes (the file is truncated)", message);
    }

    [Fact]
    public void Trailing_data_in_a_gzipped_file_is_refused()
    {
        string message = GzipLoadFails("train-labels-idx1-ubyte", [.. FakeIdx.LabelsBytes(0, 5), 1], out string file);

        Assert.Equal($"{file}: inflated data goes on past the 13 bytes its header promises (5 labels); trailing data after the last label", message);
    }

    [Fact]
    public void Gzipped_header_cut_short_is_refused()
    {
        string message = GzipLoadFails("t10k-images-idx3-ubyte", FakeIdx.ImagesBytes(1, 3)[..10], out string file);

        Assert.Equal($"{file}: inflated data ends at byte offset 10, inside the IDX header", message);
    }

    [Fact]
    public void Label_out_of_range_names_its_index_and_offset()
    {
        string message = LoadFails("train-labels-idx1-ubyte", With(FakeIdx.LabelsBytes(0, 5), 8 + 3, 10), out string file);

        Assert.Equal($"{file}: label 3 at byte offset 11 is 10; Fashion-MNIST labels are 0-9", message);
    }

    [Fact]
    public void Image_count_past_one_array_is_refused_before_allocating()
    {
        byte[] header = FakeIdx.Header(0x0803, 3_000_000, 28, 28);

        string message = LoadFails("train-images-idx3-ubyte", header, out string file);

        Assert.Equal($"{file}: its header promises 3000000 images of 28x28 (2352000016 bytes with the 16-byte header), more than one array can hold", message);
    }

    [Fact]
    public void Absurd_sizes_overflowing_64_bits_are_refused()
    {
        byte[] header = FakeIdx.Header(0x0803, int.MaxValue, int.MaxValue, int.MaxValue);

        string message = LoadFails("train-images-idx3-ubyte", header, out string file);

        Assert.StartsWith($"{file}: its header promises 2147483647 images of 2147483647x2147483647 (", message);
        Assert.EndsWith("bytes with the 16-byte header), more than one array can hold", message);
    }

    [Fact]
    public void Size_over_2_to_the_31_is_refused()
    {
        string message = LoadFails("train-labels-idx1-ubyte", FakeIdx.Header(0x0801, 0x8000_0000), out string file);

        Assert.Equal($"{file}: dimension 0 (labels) has size 2147483648; at most 2147483647 accepted", message);
    }

    [Fact]
    public void Zero_rows_are_refused()
    {
        string message = LoadFails("train-images-idx3-ubyte", FakeIdx.Header(0x0803, 5, 0, 28), out string file);

        Assert.Equal($"{file}: dimension 1 (rows) has size 0; it must be positive", message);
    }

    [Fact]
    public void Gzipped_header_promising_more_than_deflate_can_hold_is_refused_before_allocating()
    {
        // 1,000,000 images is 784 MB, far past what a few dozen compressed bytes inflate to.
        string message = GzipLoadFails("train-images-idx3-ubyte", FakeIdx.Header(0x0803, 1_000_000, 28, 28), out string file);

        long length = new FileInfo(file).Length;
        Assert.Equal(
            $"{file}: its header promises 1000000 images of 28x28 (784000016 bytes with the 16-byte header), more than a gzip file of {length} bytes can inflate to (deflate expands at most 1032-fold); the header is corrupt",
            message);
    }

    [Fact]
    public void Corrupt_gzip_names_the_file()
    {
        var fake = new FakeIdx { TrainCount = 50 };
        string folder = fake.Write(_temp.Path, gzip: true);
        var spec = FakeIdx.SpecFor(IdxDatasetSpec.FashionMnist, folder);
        string file = Path.Combine(folder, "train-images-idx3-ubyte.gz");
        byte[] bytes = File.ReadAllBytes(file);
        for (int i = bytes.Length / 2; i < bytes.Length / 2 + 16; i++) bytes[i] ^= 0x5A;
        File.WriteAllBytes(file, bytes);

        var ex = Assert.Throws<InvalidDataFileException>(() => IdxDatasetLoader.Load(spec, folder));

        Assert.Equal($"{file} is not a valid gzip file: the compressed data is corrupt (bad deflate data or gzip checksum)", Message(ex));
    }

    [Fact]
    public void Empty_file_is_refused()
    {
        Assert.Equal($"{Path.Combine(_temp.Path, "t10k-images-idx3-ubyte")}: file is empty; an IDX file starts with a 4-byte magic number",
            LoadFails("t10k-images-idx3-ubyte", [], out _));
    }

    [Fact]
    public void Header_cut_short_in_a_plain_file_is_refused()
    {
        string message = LoadFails("train-images-idx3-ubyte", FakeIdx.ImagesBytes(0, 5)[..9], out string file);

        Assert.Equal($"{file}: data ends at byte offset 9, inside the IDX header", message);
    }

    [Fact]
    public void Missing_files_are_listed()
    {
        string folder = new FakeIdx().Write(_temp.Path, gzip: false);
        File.Delete(Path.Combine(folder, "train-labels-idx1-ubyte"));
        File.Delete(Path.Combine(folder, "t10k-images-idx3-ubyte"));

        Assert.Equal($"Fashion-MNIST folder {folder} lacks train-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz)", LoadFails(folder));
    }

    [Fact]
    public void Missing_folder_and_file_in_place_of_a_folder_say_what_to_pass()
    {
        string missing = _temp["nowhere"];
        Assert.Equal(
            $"Fashion-MNIST data not found: {missing} does not exist (pass a folder holding train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz), t10k-labels-idx1-ubyte(.gz))",
            LoadFails(missing));

        string file = _temp["train-images-idx3-ubyte.gz"];
        File.WriteAllBytes(file, [1]);
        Assert.Equal(
            $"{file} is a file; pass the folder holding MNIST's train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz), t10k-images-idx3-ubyte(.gz), t10k-labels-idx1-ubyte(.gz)",
            Message(Assert.Throws<InvalidDataFileException>(() => Mnist.Load(file))));
    }
}
