namespace Fovea.Imaging;

/// <summary>How far the first load of a folder has got: <paramref name="Decoded"/> of <paramref name="Total"/> pictures.</summary>
/// <remarks>Reported from the decoding threads, about a hundred times per load and always at the end, in order.</remarks>
public readonly record struct ImageLoadProgress(int Decoded, int Total);
