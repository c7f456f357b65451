using Fovea.Layers;

namespace Fovea.Models;

/// <summary>
/// A deep ensemble (Lakshminarayanan et al. 2017) as one model: every member's graph called on one shared input,
/// their outputs (class probabilities) averaged by an <see cref="Average"/> layer. Members trained from different
/// seeds disagree most where each is unsure, so the mean is both more accurate and better calibrated than any one of
/// them. The result is an ordinary functional model: saved, loaded, evaluated, served and exported like any other.
/// </summary>
public static class Ensemble
{
    /// <summary>The name of the layer that averages the members' outputs.</summary>
    public const string AverageName = "ensemble_average";

    /// <summary>Layer names of member <paramref name="index"/> (from 1) start with this: <c>member2_conv2d</c>.</summary>
    public static string MemberPrefix(int index) => $"member{index}_";

    /// <summary>
    /// One model that averages <paramref name="members"/>' outputs, with copies of their layers and weights (the members
    /// are left as they are). Every member takes one input of one shape and gives one output of one shape.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than two members, or members whose input or output shapes differ.</exception>
    public static Model Combine(IReadOnlyList<Model> members, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count < 2) throw new ArgumentException($"an ensemble needs at least two members; got {members.Count}", nameof(members));
        foreach (var m in members) m.Build();
        var first = members[0];
        for (int i = 1; i < members.Count; i++)
        {
            if (members[i].Inputs.Count != 1 || members[i].InputShape != first.InputShape || members[i].OutputShape != first.OutputShape)
                throw new ArgumentException($"ensemble members must take one input of one shape and give one output of one shape: member 1 maps {first.InputShape} to {first.OutputShape}, member {i + 1} {members[i].InputShape} to {members[i].OutputShape}", nameof(members));
        }
        var input = new Input(first.InputShape);
        var outputs = new SymbolicTensor[members.Count];
        var copies = new Action[members.Count];
        for (int i = 0; i < members.Count; i++)
        {
            string prefix = MemberPrefix(i + 1);
            (outputs[i], copies[i]) = members[i].CallCopy(input, (_, layer) => prefix + layer);
        }
        var model = new Model(input, new Average(name: AverageName).Call(outputs), name ?? $"{first.Name}_ensemble") { Seed = first.Seed };
        model.Build();
        foreach (var copy in copies) copy();
        return model;
    }
}
