using Fovea.Data;
using Fovea.Explain;
using Fovea.Imaging;
using Fovea.Models;

namespace Fovea.Serving;

/// <summary>
/// The served model, and the only type here that knows the model class: loading, its input and output shapes and a
/// batched predict. Not thread-safe, like the model itself; the <see cref="InferenceBatcher"/>'s one worker owns it.
/// </summary>
internal sealed class ServedModel
{
    private readonly Model _model;

    private ServedModel(Model model, IReadOnlyList<string> classNames)
    {
        _model = model;
        ClassNames = classNames;
        InputShape = model.InputShape;
        ExplainableLayers = GradCam.ConvolutionalLayers(model);
    }

    /// <summary>The layers <c>/explain</c> can weigh (Grad-CAM's convolutional feature maps), in the order they run.</summary>
    public IReadOnlyList<string> ExplainableLayers { get; }

    /// <summary>The model's input: height, width and channels (1 for grayscale, 3 for RGB).</summary>
    public Shape InputShape { get; }

    public int Height => InputShape[0];
    public int Width => InputShape[1];

    /// <summary>What uploads are decoded to: grayscale for a one-channel model, else RGB.</summary>
    public ColorMode ColorMode => InputShape[2] == 1 ? ColorMode.Grayscale : ColorMode.Rgb;

    /// <summary>Bytes of one decoded image: height · width · channels, HWC.</summary>
    public int ImageBytes => (int)InputShape.Size;

    /// <summary>Class names, in the order of the model's outputs.</summary>
    public IReadOnlyList<string> ClassNames { get; }

    /// <exception cref="FoveaException">The file is not a model, or not one of grayscale or RGB images giving class probabilities.</exception>
    public static ServedModel Load(string path)
    {
        SavedModel saved = Model.Load(path);
        Shape input = saved.Model.InputShape, output = saved.Model.OutputShape;
        if (input.Rank != 3 || input[2] is not (1 or 3))
            throw new FoveaException($"{path}: serving needs a model of grayscale or RGB images (height, width, 1 or 3 channels); this one takes {input}");
        if (output.Rank != 1 || output[0] != saved.ClassNames.Count)
            throw new FoveaException($"{path}: serving needs a model that outputs one probability per class; this one outputs {output}");
        return new ServedModel(saved.Model, saved.ClassNames);
    }

    /// <summary>Class probabilities of <paramref name="count"/> images in one forward pass.</summary>
    /// <param name="pixels">The images, bytes. // [count, H, W, C]</param>
    /// <param name="count">Number of images.</param>
    /// <returns>Probabilities. // [count, classes]</returns>
    public float[] Predict(byte[] pixels, int count) =>
        _model.Predict(new ImageSet(pixels, count, Height, Width, InputShape[2]), batchSize: count).Data;

    /// <summary>The Grad-CAM explanation of one image (<paramref name="pixels"/> [H, W, C] bytes).</summary>
    public ServedExplanation Explain(byte[] pixels, ExplanationRequest request)
    {
        var cam = GradCam.Compute(_model, new ImageSet(pixels, 1, Height, Width, InputShape[2]), request.ClassIndex, request.Layer, batchSize: 1);
        return new ServedExplanation(cam.Upsampled.Data.AsSpan(0, Height * Width).ToArray(), cam.Probabilities.Data.AsSpan(0, ClassNames.Count).ToArray(), cam.Classes[0], cam.Layer);
    }
}
