namespace Fovea.Tests.Models;

/// <summary>The peak resident set, the container's limit and sizes written as people write them.</summary>
public class ProcessMemoryTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fovea-cgroup").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void ThePeakIsAtLeastWhatThisProcessHolds()
    {
        var block = new byte[64 << 20];
        Array.Fill(block, (byte)1);
        Assert.True(ProcessMemory.PeakResidentBytes() >= block.Length);
        GC.KeepAlive(block);
    }

    [Theory]
    [InlineData("1.5G", 1610612736L)]
    [InlineData("800M", 838860800L)]
    [InlineData("2GiB", 2147483648L)]
    [InlineData("512kb", 524288L)]
    [InlineData("1000", 1000L)]
    public void SizesAreReadInPowersOf1024(string text, long bytes)
    {
        Assert.True(ProcessMemory.TryParseSize(text, out long parsed));
        Assert.Equal(bytes, parsed);
    }

    [Theory]
    [InlineData("")]
    [InlineData("G")]
    [InlineData("-1G")]
    [InlineData("0")]
    [InlineData("1.5X")]
    [InlineData("lots")]
    public void OtherSizesAreRefused(string text) => Assert.False(ProcessMemory.TryParseSize(text, out _));

    [Fact]
    public void TheContainerLimitIsReadFromCgroupV2OrV1()
    {
        Assert.Null(ProcessMemory.ContainerLimitBytes(_folder));
        File.WriteAllText(Path.Combine(_folder, "memory.max"), "max\n");
        Assert.Null(ProcessMemory.ContainerLimitBytes(_folder));
        File.WriteAllText(Path.Combine(_folder, "memory.max"), "1073741824\n");
        Assert.Equal(1L << 30, ProcessMemory.ContainerLimitBytes(_folder));
        File.Delete(Path.Combine(_folder, "memory.max"));
        // cgroup v1 writes a number near 2^63 for no limit.
        File.WriteAllText(Path.Combine(_folder, "memory.limit_in_bytes"), "9223372036854771712\n");
        Assert.Null(ProcessMemory.ContainerLimitBytes(_folder));
        File.WriteAllText(Path.Combine(_folder, "memory.limit_in_bytes"), "536870912\n");
        Assert.Equal(512L << 20, ProcessMemory.ContainerLimitBytes(_folder));
    }
}
