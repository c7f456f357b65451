using Fovea.Data;
using Fovea.Models;
using Fovea.Serialization;

namespace Fovea.Serving;

/// <summary>
/// The served model, and the only type here that knows the model class: loading, its input and output shapes and a
/// batched predict. Not thread-safe, like the model itself; the <see cref="InferenceBatcher"/>'s one worker owns it.
/// </summary>
internal sealed class ServedModel
{
    private readonly Model _model;

    private ServedModel(Model model, IReadOnlyList<string> classNames, int side)
    {
        _model = model;
        ClassNames = classNames;
        Side = side;
    }

    /// <summary>Height and width of the model's square RGB input.</summary>
    public int Side { get; }

    /// <summary>Bytes of one decoded image: <c>Side * Side * 3</c>, HWC.</summary>
    public int ImageBytes => Side * Side * 3;

    /// <summary>Class names, in the order of the model's outputs.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <exception cref="FoveaException">The file is not a model, or not one of square RGB images giving class probabilities.</exception>
    public static ServedModel Load(string path)
    {
        SavedModel saved = Model.Load(path);
        Shape input = saved.Model.InputShape, output = saved.Model.OutputShape;
        if (input.Rank != 3 || input[0] != input[1] || input[2] != 3)
            throw new FoveaException($"{path}: serving needs a model of square RGB images; this one takes {input}");
        if (output.Rank != 1 || output[0] != saved.ClassNames.Count)
            throw new FoveaException($"{path}: serving needs a model that outputs one probability per class; this one outputs {output}");
        return new ServedModel(saved.Model, saved.ClassNames, input[0]);
    }

    /// <summary>Class probabilities of <paramref name="count"/> images in one forward pass.</summary>
    /// <param name="pixels">The images, RGB bytes. // [count, Side, Side, 3]</param>
    /// <param name="count">Number of images.</param>
    /// <returns>Probabilities. // [count, classes]</returns>
    public float[] Predict(byte[] pixels, int count) =>
        _model.Predict(new ImageSet(pixels, count, Side, Side, 3), batchSize: count).Data;
}
