namespace Fovea.Tests.Data;

/// <summary>
/// Tests that download from a local server run one class at a time: one of them shortens the process-wide idle
/// timeout of <c>FileDownload</c> to 0.3 s, which a download in a parallel class on a busy machine would trip over.
/// </summary>
[CollectionDefinition(Name)]
public sealed class DownloadCollection
{
    public const string Name = "Downloads";
}
