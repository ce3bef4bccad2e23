using System.Globalization;
using System.Text.Json;
using DuckEmbed.Processor.Database;

namespace DuckEmbed.Cli;

/// <summary>
/// The checks on a config's values beyond their JSON type, each refusal naming the key and quoting the value as
/// written. Properties are named as in <see cref="ConfigFile"/> (<c>nameof(file.Writers)</c>), whose key the message gives.
/// </summary>
internal sealed class ConfigValues((ConfigFile File, JsonElement Root) config, string configPath)
{
    public ConfigFile File => config.File;

    /// <summary>A string setting; <c>null</c> when absent; refused when blank.</summary>
    public string? Text(string? value, string property) => value is null || !string.IsNullOrWhiteSpace(value)
        ? value
        : throw Refused(property, "a non-empty string");

    /// <summary>A whole-number setting from 1 to <paramref name="max"/>; <c>null</c> when absent.</summary>
    public int? Whole(long? value, string property, int max, string why = "") => value is null || value is >= 1 && value <= max
        ? (int?)value
        : throw Refused(property, string.Create(CultureInfo.InvariantCulture, $"a whole number from 1 to {max:N0}{why}"));

    /// <summary>A size such as <c>8GB</c>, at least 1 MB; <c>null</c> when absent.</summary>
    public long? Size(string? value, string property) => value is null
        ? null
        : ByteSize.Parse(value) is { } bytes && bytes >= 1L << 20 && bytes <= long.MaxValue / 2
            ? (long)bytes
            : throw Refused(property, "a size such as 8GB or 512MB");

    /// <summary>Distinct CUDA device numbers; <c>null</c> when absent.</summary>
    public int[]? DeviceNumbers(long[]? value, string property) =>
        value is null || value.Length > 0 && value.All(n => n is >= 0 and <= int.MaxValue) && value.Distinct().Count() == value.Length
            ? value?.Select(n => (int)n).ToArray()
            : throw Refused(property, ConfigFile.Expected(ConfigFile.Key(property)), " Leave it out to use every visible GPU.");

    private CliUsageException Refused(string property, string expected, string advice = "")
    {
        var key = ConfigFile.Key(property);
        return new CliUsageException($"{configPath}: '{key}' must be {expected}, not {Describe(config.Root.GetProperty(key))}.{advice}");
    }

    /// <summary>A value as the config has it, for a message.</summary>
    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"\"{value.GetString()}\"",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => value.GetRawText() is { Length: <= 40 } list ? list : "an array",
        _ => value.GetRawText(),
    };
}
