namespace Fovea.Data;

/// <summary>Images with one integer class label each (Keras's <c>(x_train, y_train)</c>).</summary>
public sealed record LabeledImages(ImageSet Images, int[] Labels)
{
    /// <summary>Number of images.</summary>
    public int Count => Labels.Length;

    /// <summary>The first <paramref name="count"/> images and their labels (all of them when there are fewer).</summary>
    public LabeledImages Take(int count) => new(Images.Take(count), Labels.AsSpan(0, Math.Clamp(count, 0, Labels.Length)).ToArray());
}
