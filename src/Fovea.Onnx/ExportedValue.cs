namespace Fovea.Onnx;

/// <summary>
/// One value of a Fovea model (its input or a layer's output) as it exists in the ONNX graph. Fovea computes in
/// channels-last order ([N, H, W, C], [N, F]); ONNX's Conv and pooling work channels-first ([N, C, H, W]). An image
/// value may therefore exist in either order or both: each is made once, when a consumer first asks for it, so a
/// chain of convolutions transposes only at its ends.
/// </summary>
internal sealed class ExportedValue
{
    public ExportedValue(string stem, Shape sample, string? channelsLast, string? channelsFirst)
    {
        Stem = stem;
        Sample = sample;
        ChannelsLast = channelsLast;
        ChannelsFirst = channelsFirst;
    }

    /// <summary>Stem for the names of conversions of this value (the producing layer's name).</summary>
    public string Stem { get; }

    /// <summary>Fovea's per-sample shape, channels last.</summary>
    public Shape Sample { get; }

    /// <summary>The ONNX name of this value in Fovea's order, [N, …sample], if made.</summary>
    public string? ChannelsLast { get; set; }

    /// <summary>The ONNX name of this image value as [N, C, H, W], if made.</summary>
    public string? ChannelsFirst { get; set; }

    /// <summary>A (height, width, channels) sample: the only kind that has a channels-first form.</summary>
    public bool IsImage => Sample.Rank == 3;

    /// <summary>Where an element-wise or per-channel operation runs best: channels-first if made (convolutions follow), else channels-last.</summary>
    public bool PrefersChannelsFirst => IsImage && ChannelsFirst is not null;
}
