using System.Globalization;

namespace Fovea.Models;

/// <summary>Keras's <c>model.summary()</c>.</summary>
public partial class Model
{
    /// <summary>
    /// Prints the Keras-style table of layers, output shapes and parameter counts; a functional model adds its input
    /// rows and a "Connected to" column naming each layer's inputs. The last line gives the activation bytes one
    /// picture asks for in a training step and in an inference pass (<see cref="PlanMemory"/>), as the line above it
    /// gives the parameters.
    /// </summary>
    public void Summary(TextWriter? writer = null)
    {
        Build();
        writer ??= Console.Out;
        string NameOf(int value) => value < _inputs.Count ? _inputs[value].Name : _nodes[value - _inputs.Count].Layer.Name!;
        var rows = new List<(string Name, string Shape, long Params, string Connected)>();
        if (IsFunctional)
            foreach (var input in _inputs)
                rows.Add(($"{input.Name} (InputLayer)", input.Shape.ToString("None"), 0, "-"));
        foreach (var node in _nodes)
            rows.Add(($"{node.Layer.Name} ({node.Layer.TypeName})", node.Layer.OutputShape.ToString("None"), node.Layer.ParameterCount,
                string.Join(", ", node.Inputs.Select(NameOf))));
        int w1 = Math.Max(29, rows.Max(r => r.Name.Length) + 1);
        int w2 = Math.Max(26, rows.Max(r => r.Shape.Length) + 1);
        int w3 = IsFunctional ? Math.Max(11, rows.Max(r => r.Params.ToString("N0", CultureInfo.InvariantCulture).Length) + 2) : 0;
        int w4 = IsFunctional ? Math.Max(20, rows.Max(r => r.Connected.Length)) : 0;
        int width = IsFunctional ? w1 + w2 + w3 + w4 : w1 + w2 + 10;
        string thin = new('_', width), thick = new('=', width);
        writer.WriteLine($"Model: \"{Name}\"");
        writer.WriteLine(thin);
        writer.WriteLine(IsFunctional
            ? "Layer (type)".PadRight(w1) + "Output Shape".PadRight(w2) + "Param #".PadRight(w3) + "Connected to"
            : "Layer (type)".PadRight(w1) + "Output Shape".PadRight(w2) + "Param #");
        writer.WriteLine(thick);
        for (int i = 0; i < rows.Count; i++)
        {
            string count = rows[i].Params.ToString("N0", CultureInfo.InvariantCulture);
            writer.WriteLine(IsFunctional
                ? rows[i].Name.PadRight(w1) + rows[i].Shape.PadRight(w2) + count.PadRight(w3) + rows[i].Connected
                : rows[i].Name.PadRight(w1) + rows[i].Shape.PadRight(w2) + count);
            writer.WriteLine(i == rows.Count - 1 ? thick : thin);
        }
        long total = ParameterCount, trainable = TrainableParameterCount;
        writer.WriteLine($"Total params: {total.ToString("N0", CultureInfo.InvariantCulture)}");
        writer.WriteLine($"Trainable params: {trainable.ToString("N0", CultureInfo.InvariantCulture)}");
        writer.WriteLine($"Non-trainable params: {(total - trainable).ToString("N0", CultureInfo.InvariantCulture)}");
        var (trainingBytes, inferenceBytes) = ActivationBytesPerPicture();
        writer.WriteLine($"Activation memory per picture: {ProcessMemory.Format(trainingBytes)} training, {ProcessMemory.Format(inferenceBytes)} inference");
        writer.WriteLine(thin);
    }

    /// <summary>The summary as a string.</summary>
    public string SummaryText()
    {
        var sw = new StringWriter { NewLine = "\n" };
        Summary(sw);
        return sw.ToString();
    }
}
