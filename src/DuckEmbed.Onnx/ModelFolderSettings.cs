using System.Text.Json;

namespace DuckEmbed.Onnx;

/// <summary>
/// Reads a sentence-transformers model folder's own settings and refuses the ones DuckEmbed would get wrong: a
/// pooling other than the mean (<c>1_Pooling/config.json</c>) and a tokenizer that keeps case
/// (<c>tokenizer_config.json</c>'s <c>do_lower_case</c>). Missing files mean the sentence-transformers defaults.
/// </summary>
internal static class ModelFolderSettings
{
    public static void Check(string directory, string full)
    {
        if (ReadJson(directory, full, Path.Combine("1_Pooling", "config.json")) is { } pooling)
        {
            var modes = pooling.EnumerateObject()
                .Where(p => p.Name.StartsWith("pooling_mode_", StringComparison.Ordinal) && p.Value.ValueKind == JsonValueKind.True)
                .Select(p => p.Name["pooling_mode_".Length..]).ToList();
            if (modes is not ["mean_tokens"])
            {
                throw new ModelLoadException(
                    $"model_path {directory}: 1_Pooling/config.json asks for {(modes.Count == 0 ? "no pooling" : string.Join(" + ", modes) + " pooling")}; " +
                    "DuckEmbed computes mean pooling only, so its vectors would not be this model's. Use a mean-pooled model.");
            }
        }
        if (ReadJson(directory, full, "tokenizer_config.json") is { } tokenizer
            && tokenizer.TryGetProperty("do_lower_case", out var lowerCase) && lowerCase.ValueKind == JsonValueKind.False)
        {
            throw new ModelLoadException(
                $"model_path {directory}: tokenizer_config.json has do_lower_case false; DuckEmbed's tokenizer is the " +
                "uncased BERT one (lowercase, accents stripped), so its token ids would not be this model's. Use an uncased model.");
        }
    }

    private static JsonElement? ReadJson(string directory, string full, string file)
    {
        var path = Path.Combine(full, file);
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? document.RootElement.Clone()
                : throw new ModelLoadException($"model_path {directory}: {file} does not hold a JSON object.");
        }
        catch (JsonException e)
        {
            throw new ModelLoadException($"model_path {directory}: {file} is not valid JSON ({e.Message}).", e);
        }
    }
}
