
namespace Fovea.Models;

public partial class Model
{
    /// <summary>Saves architecture, weights and class names as one safetensors file, atomically.</summary>
    public void Save(string path, IReadOnlyList<string>? classNames = null) => ModelFile.Save(this, path, classNames);

    /// <summary>Loads a model written by <see cref="Save"/>; every tensor is checked against the declared architecture.</summary>
    public static SavedModel Load(string path) => ModelFile.Load(path);
}
