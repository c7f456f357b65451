using System.Text;
using System.Text.RegularExpressions;
using Fovea.Data;

namespace Fovea.Tests.Data;

/// <summary>Every malformed input fails with an <see cref="InvalidDataFileException"/> whose one-line message names the file.</summary>
public sealed class Cifar10BadDataTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    private static string LoadFails(string path, int? trainLimit = null)
    {
        var ex = Assert.Throws<InvalidDataFileException>(() => Cifar10.Load(path, trainLimit));
        Assert.DoesNotContain('\n', ex.Message);
        return ex.Message;
    }

    private string Archive(FakeCifar10 fake) => fake.WriteArchive(_temp["cifar-10-binary.tar.gz"]);

    private static byte[] WithLabel(byte[] batch, int record, byte label)
    {
        batch[record * FakeCifar10.RecordSize] = label;
        return batch;
    }

    [Fact]
    public void Truncated_batch_in_a_folder_names_file_size_and_offset_of_the_partial_record()
    {
        // 3 whole records and 100 bytes of a fourth: the partial one starts at 3 * 3073 = 9219.
        var fake = new FakeCifar10 { Replace = { ["data_batch_2.bin"] = FakeCifar10.BatchBytes(1, 4)[..(3 * 3073 + 100)] } };
        string folder = fake.WriteFolder(_temp.Path);

        string message = LoadFails(folder);

        Assert.Equal(
            $"{Path.Combine(folder, "data_batch_2.bin")}: size 9319 bytes is not a multiple of the 3073-byte record; the record at byte offset 9219 is truncated (100 of 3073 bytes)",
            message);
    }

    [Fact]
    public void Truncated_batch_in_an_archive_names_entry_archive_and_offset()
    {
        string archive = Archive(new FakeCifar10 { Replace = { ["test_batch.bin"] = FakeCifar10.BatchBytes(5, 2)[..3100] } });

        string message = LoadFails(archive);

        Assert.Equal(
            $"cifar-10-batches-bin/test_batch.bin in {archive}: size 3100 bytes is not a multiple of the 3073-byte record; the record at byte offset 3073 is truncated (27 of 3073 bytes)",
            message);
    }

    [Fact]
    public void Label_above_9_names_file_record_offset_and_value()
    {
        var fake = new FakeCifar10 { Replace = { ["data_batch_3.bin"] = WithLabel(FakeCifar10.BatchBytes(2, 3), record: 2, label: 10) } };
        string folder = fake.WriteFolder(_temp.Path);

        Assert.Equal($"{Path.Combine(folder, "data_batch_3.bin")}: record 2 at byte offset 6146 has label 10; CIFAR-10 labels are 0-9", LoadFails(folder));
    }

    [Fact]
    public void Label_above_9_in_an_archive_names_the_entry()
    {
        string archive = Archive(new FakeCifar10 { Replace = { ["test_batch.bin"] = WithLabel(FakeCifar10.BatchBytes(5, 4), record: 3, label: 255) } });

        Assert.Equal($"cifar-10-batches-bin/test_batch.bin in {archive}: record 3 at byte offset 9219 has label 255; CIFAR-10 labels are 0-9", LoadFails(archive));
    }

    [Fact]
    public void Bad_label_past_the_train_limit_is_not_read()
    {
        // The limit stops reading before batch 5; its sizes are still checked, its records are not.
        var fake = new FakeCifar10 { Replace = { ["data_batch_5.bin"] = WithLabel(FakeCifar10.BatchBytes(4, 3), record: 0, label: 99) } };

        Assert.Equal(5, Cifar10.Load(fake.WriteFolder(_temp.Path), trainLimit: 5).Train.Count);
    }

    [Fact]
    public void Empty_batch_is_refused()
    {
        var fake = new FakeCifar10 { Replace = { ["data_batch_1.bin"] = [] } };
        string folder = fake.WriteFolder(_temp.Path);

        Assert.Equal($"{Path.Combine(folder, "data_batch_1.bin")}: file is empty; a CIFAR-10 batch holds 3073-byte records", LoadFails(folder));
    }

    [Fact]
    public void Batch_over_1_GiB_is_refused_before_anything_is_allocated()
    {
        string folder = new FakeCifar10().WriteFolder(_temp.Path);
        string batch = Path.Combine(folder, "data_batch_4.bin");
        using (var stream = File.OpenWrite(batch)) stream.SetLength((1L << 30) + 3073); // sparse: takes no disk

        Assert.Equal($"{batch}: size 1073744897 bytes is too large for a CIFAR-10 batch (at most 1073741824 bytes accepted)", LoadFails(folder));
    }

    [Fact]
    public void Batches_too_big_for_one_array_need_a_train_limit()
    {
        // Five sparse batches of 349,406 zero records: each under the 1 GiB cap, together past Array.MaxLength.
        string folder = new FakeCifar10().WriteFolder(_temp.Path);
        foreach (string name in (string[])["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"])
            using (var stream = File.Create(Path.Combine(folder, name))) stream.SetLength(349_406L * 3073);

        Assert.Equal(
            $"{folder}: CIFAR-10 training batches hold 1747030 images (5366876160 bytes), more than one array can hold; pass a train limit",
            LoadFails(folder));
        var limited = Cifar10.Load(folder, trainLimit: 10).Train;
        Assert.Equal(new int[10], limited.Labels);
    }

    [Fact]
    public void Corrupt_gzip_names_the_archive()
    {
        byte[] bytes = new FakeCifar10().ArchiveBytes();
        for (int i = bytes.Length / 3; i < bytes.Length / 3 + 64; i++) bytes[i] ^= 0x5A;
        string archive = _temp["cifar-10-binary.tar.gz"];
        File.WriteAllBytes(archive, bytes);

        string message = LoadFails(archive);

        Assert.StartsWith($"{archive} is not a valid .tar.gz archive (in entry cifar-10-batches-bin/", message);
        Assert.EndsWith("): the compressed data is corrupt (bad deflate data or gzip checksum)", message);
    }

    [Fact]
    public void Flipped_bit_that_still_inflates_fails_the_gzip_checksum()
    {
        // Stored (uncompressed) deflate blocks decode whatever their payload: only the CRC in the gzip trailer sees the flip.
        byte[] bytes = new FakeCifar10().ArchiveBytes(System.IO.Compression.CompressionLevel.NoCompression);
        bytes[bytes.Length / 2] ^= 0x01; // a pixel byte deep inside some batch
        string archive = _temp["cifar-10-binary.tar.gz"];
        File.WriteAllBytes(archive, bytes);

        Assert.Equal($"{archive} is not a valid .tar.gz archive: the compressed data is corrupt (bad deflate data or gzip checksum)", LoadFails(archive));
    }

    [Theory]
    [InlineData("data.tar.gz", "this is plain text, not a gzip stream")]
    [InlineData("empty.tar.gz", "")]
    public void File_that_is_not_gzip_says_so(string name, string content)
    {
        string path = _temp[name];
        File.WriteAllText(path, content);

        Assert.Equal(
            $"{path} is not a gzip file (it does not start with the bytes 1f 8b); pass a cifar-10-binary.tar.gz or a cifar-10-batches-bin folder",
            LoadFails(path));
    }

    [Theory]
    [InlineData(0.1, "data_batch_4.bin")]
    [InlineData(0.5, "data_batch_5.bin")]
    [InlineData(0.9, "test_batch.bin")]
    public void Archive_cut_short_names_the_archive_entry_and_offset(double keep, string entry)
    {
        byte[] bytes = new FakeCifar10().ArchiveBytes();
        string archive = _temp["cifar-10-binary.tar.gz"];
        File.WriteAllBytes(archive, bytes[..(int)(bytes.Length * keep)]);

        string message = LoadFails(archive);

        // GZipStream reports a cut-off stream as a plain end of data, so the cut shows up inside an entry.
        Assert.Matches($@"^cifar-10-batches-bin/{entry} in {Regex.Escape(archive)}: data ends at byte offset \d+, inside record \d+; expected \d+ bytes \(the file is truncated\)$", message);
    }

    [Fact]
    public void Missing_batch_in_a_folder_names_it_and_the_folder()
    {
        var fake = new FakeCifar10 { Omit = { "data_batch_3.bin", "test_batch.bin" } };
        string folder = fake.WriteFolder(_temp.Path);

        Assert.Equal($"CIFAR-10 folder {folder} lacks data_batch_3.bin, test_batch.bin", LoadFails(folder));
    }

    [Fact]
    public void Missing_entries_in_an_archive_are_named()
    {
        string archive = Archive(new FakeCifar10 { Omit = { "data_batch_5.bin", "batches.meta.txt" } });

        Assert.Equal(
            $"{archive} lacks data_batch_5.bin, batches.meta.txt; a CIFAR-10 binary archive holds cifar-10-batches-bin/data_batch_1..5.bin, test_batch.bin and batches.meta.txt",
            LoadFails(archive));
    }

    [Fact]
    public void Archive_of_something_else_lacks_every_entry()
    {
        var fake = new FakeCifar10();
        fake.Omit.UnionWith(FakeCifar10.OfficialEntryOrder.Where(n => n != "readme.html"));
        string archive = Archive(fake);

        Assert.StartsWith($"{archive} lacks data_batch_1.bin, data_batch_2.bin, data_batch_3.bin, data_batch_4.bin, data_batch_5.bin, test_batch.bin, batches.meta.txt;", LoadFails(archive));
    }

    [Fact]
    public void Duplicate_entry_in_an_archive_is_refused()
    {
        string archive = Archive(new FakeCifar10 { Extra = { "data_batch_1.bin" } });

        Assert.Equal($"{archive} holds a second entry for cifar-10-batches-bin/data_batch_1.bin; which one to load is ambiguous", LoadFails(archive));
    }

    [Theory]
    [InlineData(9)]
    [InlineData(11)]
    public void Wrong_number_of_class_names_is_refused(int count)
    {
        var fake = new FakeCifar10 { Replace = { ["batches.meta.txt"] = Encoding.ASCII.GetBytes(string.Join("\n", Enumerable.Range(0, count).Select(i => $"class{i}"))) } };
        string folder = fake.WriteFolder(_temp.Path);

        Assert.Equal($"{Path.Combine(folder, "batches.meta.txt")}: expected 10 class names, one per line; got {count}", LoadFails(folder));
        string archive = Archive(fake);
        Assert.Equal($"cifar-10-batches-bin/batches.meta.txt in {archive}: expected 10 class names, one per line; got {count}", LoadFails(archive));
    }

    [Fact]
    public void Path_that_does_not_exist_is_named()
    {
        string path = _temp["nowhere"];

        Assert.Equal($"CIFAR-10 data not found: {path} does not exist (pass a cifar-10-binary.tar.gz or a cifar-10-batches-bin folder)", LoadFails(path));
    }

    [Fact]
    public void Folder_without_cifar_files_says_where_it_looked()
    {
        string message = LoadFails(_temp.Path);

        Assert.StartsWith($"no CIFAR-10 data in {_temp.Path}: looked for", message);
        Assert.Contains(Path.Combine(_temp.Path, "cifar-10-batches-bin"), message);
    }
}
