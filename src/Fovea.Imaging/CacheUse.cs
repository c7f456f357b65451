namespace Fovea.Imaging;

/// <summary>What a load did with the decoded-pixel cache.</summary>
public enum CacheUse
{
    /// <summary>No cache existed: the pictures were decoded and the cache written.</summary>
    Created,

    /// <summary>A valid cache for the same files, size and colour mode was read; nothing was decoded.</summary>
    Reused,

    /// <summary>A cache existed but was stale (a file was added, removed or changed) or damaged: it was rebuilt.</summary>
    Rebuilt,
}
