using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace DuckEmbed.Cli;

/// <summary>
/// <c>config.json</c> as written: one property per setting, whose JSON key (the property's name in snake case) and
/// JSON type are defined here and nowhere else. System.Text.Json's source generator reads it
/// (<see cref="ConfigFileJson"/>); <see cref="RunSettings"/> checks the values and turns them into a run's settings,
/// <see cref="CliErrors"/> names the key of a setting at fault through <see cref="Key"/>, and a test holds
/// docs/configuration.md to <see cref="Keys"/>.
/// </summary>
internal sealed record ConfigFile
{
    [JsonRequired] public string? InputDbPath { get; init; }

    [JsonRequired] public string? OutputDbPath { get; init; }

    [JsonRequired] public string? InputTable { get; init; }

    [JsonRequired] public string? IdColumn { get; init; }

    [JsonRequired] public string? TextColumn { get; init; }

    [JsonRequired] public string? OutputTable { get; init; }

    public string? VectorColumn { get; init; }

    public string? VectorType { get; init; }

    public string? VectorPrecision { get; init; }

    public string? ModelPath { get; init; }

    public string? Device { get; init; }

    public string? Precision { get; init; }

    public string? Prompt { get; init; }

    public string? ModelCache { get; init; }

    public string? DuckdbMemoryLimit { get; init; }

    public string? CudaMemoryLimit { get; init; }

    // Whole numbers are read as 64-bit so that a value past int's range is refused as out of range, not as a non-number.
    public long? Threads { get; init; }

    public long? BatchesPerWindow { get; init; }

    public long? MaxRows { get; init; }

    public long? MaxBatchTokens { get; init; }

    public long? TruncateDim { get; init; }

    public long? Writers { get; init; }

    public long? GeneratorCalls { get; init; }

    public long? CommitSeconds { get; init; }

    public long[]? CudaDevices { get; init; }

    public bool? CudaTf32 { get; init; }

    public bool? EqualLengthBatches { get; init; }

    public bool? CheckDiskSpace { get; init; }

    private static JsonTypeInfo<ConfigFile> Contract => ConfigFileJson.Default.ConfigFile;

    /// <summary>Every key a config may hold.</summary>
    public static IReadOnlyList<string> Keys { get; } = [.. Contract.Properties.Select(p => p.Name)];

    /// <summary>The keys a config must hold.</summary>
    public static IReadOnlyList<string> RequiredKeys { get; } = [.. Contract.Properties.Where(p => p.IsRequired).Select(p => p.Name)];

    /// <summary>The key of the setting a property of this record holds: <c>Key(nameof(ConfigFile.Writers))</c> is <c>writers</c>.</summary>
    public static string Key(string property) => JsonNamingPolicy.SnakeCaseLower.ConvertName(property);

    /// <summary>What a key's value must be, from its JSON type, for the message that refuses a value of another type.</summary>
    public static string Expected(string key) => Contract.Properties.FirstOrDefault(p => p.Name == key)?.PropertyType switch
    {
        { } type when type == typeof(bool?) => "true or false",
        { } type when type == typeof(long?) => "a whole number",
        { } type when type == typeof(long[]) => "a list of distinct CUDA device numbers such as [0, 1]",
        _ => "a non-empty string",
    };

    /// <summary>The settings in <paramref name="root"/>, a JSON object whose keys are all <see cref="Keys"/>.</summary>
    /// <exception cref="JsonException">A value of another JSON type than its key's; <see cref="JsonException.Path"/> names it.</exception>
    public static ConfigFile Read(JsonElement root) => root.Deserialize(Contract)!;
}

/// <summary>The JSON contract of <see cref="ConfigFile"/>, made at build time.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, NumberHandling = JsonNumberHandling.Strict)]
[JsonSerializable(typeof(ConfigFile))]
internal sealed partial class ConfigFileJson : JsonSerializerContext;
