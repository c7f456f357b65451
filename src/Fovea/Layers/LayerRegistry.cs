using System.Reflection;
using System.Text.Json.Nodes;
using Fovea.IO;

namespace Fovea.Layers;

/// <summary>
/// Layer classes by the name saved models record (<c>"Conv2D"</c>), each rebuilt by its own
/// <see cref="ILayerFactory.FromConfig"/>: the library's layers are found when the registry is first used, and a
/// program registers its own with <see cref="Register{T}"/> before loading a model file that holds them.
/// </summary>
public static class LayerRegistry
{
    private static readonly Dictionary<string, Func<ConfigReader, string?, Shape?, Layer>> Factories = BuiltIn();
    private static readonly Lock Gate = new();

    /// <summary>Registers <typeparamref name="T"/> under its <see cref="ILayerFactory.ClassName"/>, replacing any class of that name.</summary>
    public static void Register<T>() where T : Layer, ILayerFactory
    {
        lock (Gate) Factories[T.ClassName] = T.FromConfig;
    }

    /// <summary>Whether a class of this name can be rebuilt from its configuration.</summary>
    public static bool IsRegistered(string className)
    {
        lock (Gate) return Factories.ContainsKey(className);
    }

    /// <summary>Every layer class of this library that rebuilds itself (implements <see cref="ILayerFactory"/>).</summary>
    private static Dictionary<string, Func<ConfigReader, string?, Shape?, Layer>> BuiltIn()
    {
        var factories = new Dictionary<string, Func<ConfigReader, string?, Shape?, Layer>>(StringComparer.Ordinal);
        foreach (var type in typeof(Layer).Assembly.GetTypes().Where(t => !t.IsAbstract && typeof(ILayerFactory).IsAssignableFrom(t)))
        {
            var name = (string)type.GetProperty(nameof(ILayerFactory.ClassName), BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
            var fromConfig = type.GetMethod(nameof(ILayerFactory.FromConfig), BindingFlags.Public | BindingFlags.Static, [typeof(ConfigReader), typeof(string), typeof(Shape?)])!;
            factories.Add(name, fromConfig.CreateDelegate<Func<ConfigReader, string?, Shape?, Layer>>());
        }
        return factories;
    }

    /// <summary>A layer as a Keras-like <c>{"class_name", "config"}</c> object.</summary>
    public static JsonObject ToJson(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        return new() { ["class_name"] = layer.TypeName, ["config"] = layer.GetConfig() };
    }

    /// <summary>
    /// The layer a <c>{"class_name", "config"}</c> object from <paramref name="source"/> describes, not built. Strict:
    /// an unknown class or a missing or out-of-range value is an <see cref="InvalidDataFileException"/> naming it.
    /// </summary>
    public static Layer FromJson(JsonNode? node, string source)
    {
        if (node is not JsonObject obj || ConfigReader.AsString(obj["class_name"]) is not { } type || obj["config"] is not JsonObject config)
            throw new InvalidDataFileException($"{source}: each layer must be an object with a class_name string and a config object");
        var reader = new ConfigReader(config, source, type);
        string? name = reader.OptionalString("name");
        Shape? inputShape = reader.OptionalShape("input_shape");
        Func<ConfigReader, string?, Shape?, Layer>? factory;
        lock (Gate) Factories.TryGetValue(type, out factory);
        try
        {
            var layer = factory is not null ? factory(reader, name, inputShape)
                : throw new InvalidDataFileException($"{source}: unknown layer class {SafeTensorsText.Quote(type)}");
            if (reader.Has("trainable")) layer.Trainable = reader.Bool("trainable");
            return layer;
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataFileException($"{source}: layer {type}: {e.Message}");
        }
    }

    /// <summary>
    /// A new, unbuilt layer with <paramref name="layer"/>'s configuration and name, through its class's factory (a
    /// replica's copy); <see cref="NotSupportedException"/> for a class that is not registered.
    /// </summary>
    public static Layer Copy(Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (!IsRegistered(layer.TypeName))
            throw new NotSupportedException($"layer class '{layer.TypeName}' is not registered: implement ILayerFactory and call LayerRegistry.Register");
        return FromJson(ToJson(layer), $"layer '{layer.Name}'");
    }
}
