namespace Fovea.Layers;

/// <summary>
/// A layer class that rebuilds itself from its configuration, Keras's <c>from_config</c>: model files, replicas and
/// importers create layers through it. The library's own layers are found by <see cref="LayerRegistry"/>; register
/// your own with <see cref="LayerRegistry.Register{T}"/>.
/// </summary>
public interface ILayerFactory
{
    /// <summary>The class name stored in saved models (<c>"Conv2D"</c>), the layer's <see cref="Layer.TypeName"/>.</summary>
    static abstract string ClassName { get; }

    /// <summary>A new, unbuilt layer from the configuration its <see cref="Layer.GetConfig"/> wrote; throws
    /// <see cref="InvalidDataFileException"/> (through <paramref name="config"/>) or <see cref="ArgumentException"/>
    /// for a configuration it cannot take.</summary>
    static abstract Layer FromConfig(ConfigReader config, string? name, Shape? inputShape);
}
