using Fovea.IO;

namespace Fovea.Tests.Serialization;

/// <summary>
/// A failed save must leave the previous checkpoint exactly as it was and no debris beside it. Failures are injected
/// through the writer's stream (a read-only folder is no test when the suite runs as root).
/// </summary>
public sealed class SafeTensorsAtomicWriteTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fovea-atomic-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly NamedTensor[] NewContent =
    [
        new NamedTensor("big", new Shape(1000), new float[1000]),
        new NamedTensor("bigger", new Shape(4000), new float[4000]),
    ];

    private string ExistingCheckpoint(out byte[] oldBytes)
    {
        string path = Path.Combine(_folder, "model.safetensors");
        SafeTensors.Write(path, [new NamedTensor("old", new Shape(2), new[] { 1f, 2f })]);
        oldBytes = File.ReadAllBytes(path);
        return path;
    }

    [Theory]
    [InlineData(0)]     // before the length field
    [InlineData(50)]    // inside the header
    [InlineData(9000)]  // inside the data
    public void Disk_full_part_way_leaves_the_old_file_and_no_temporary(int failAfterBytes)
    {
        string path = ExistingCheckpoint(out var oldBytes);

        var e = Assert.Throws<FoveaException>(() =>
            SafeTensors.Write(path, NewContent, null, s => new FailingStream(s, failAfterBytes, () => new IOException("No space left on device"))));

        Assert.Equal($"{path}: cannot write the file: No space left on device", e.Message);
        Assert.Equal(oldBytes, File.ReadAllBytes(path));
        Assert.Equal(["model.safetensors"], Directory.GetFiles(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public void A_non_IO_failure_propagates_unchanged_and_still_cleans_up()
    {
        string path = ExistingCheckpoint(out var oldBytes);

        var e = Assert.Throws<InvalidOperationException>(() =>
            SafeTensors.Write(path, NewContent, null, s => new FailingStream(s, 100, () => new InvalidOperationException("injected"))));

        Assert.Equal("injected", e.Message);
        Assert.Equal(oldBytes, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(_folder));
    }

    [Fact]
    public void A_failed_first_save_creates_nothing()
    {
        string path = Path.Combine(_folder, "new.safetensors");
        Assert.Throws<FoveaException>(() =>
            SafeTensors.Write(path, NewContent, null, s => new FailingStream(s, 10, () => new IOException("disk full"))));
        Assert.Empty(Directory.GetFiles(_folder));
    }

    [Fact]
    public void Missing_folder_is_reported_with_the_path()
    {
        string path = Path.Combine(_folder, "no-such-folder", "model.safetensors");
        var e = Assert.Throws<FoveaException>(() => SafeTensors.Write(path, NewContent));
        Assert.StartsWith($"{path}: cannot write the file: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void A_folder_in_the_way_is_reported_and_left_alone()
    {
        string path = Path.Combine(_folder, "model.safetensors");
        Directory.CreateDirectory(path);
        var e = Assert.Throws<FoveaException>(() => SafeTensors.Write(path, NewContent));
        Assert.StartsWith($"{path}: cannot write the file: ", e.Message);
        Assert.True(Directory.Exists(path));
        Assert.Empty(Directory.GetFiles(_folder));
    }

    [Fact]
    public void AtomicFile_writes_any_content()
    {
        string path = Path.Combine(_folder, "history.json");
        AtomicFile.Write(path, s => s.Write("[1,2]"u8));
        Assert.Equal("[1,2]", File.ReadAllText(path));
    }

    /// <summary>Passes writes through until a byte budget is spent, then throws what it is given: a full disk on demand.</summary>
    private sealed class FailingStream(Stream inner, long failAfterBytes, Func<Exception> failure) : Stream
    {
        private long _written;

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_written + buffer.Length > failAfterBytes) throw failure();
            inner.Write(buffer);
            _written += buffer.Length;
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
        public override void Flush() => inner.Flush();
        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
