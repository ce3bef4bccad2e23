using System.Text.Json;

namespace DuckEmbed.Onnx;

/// <summary>
/// What a sentence-transformers model folder says about running it: <c>modules.json</c> (which modules),
/// <c>1_Pooling/config.json</c> (mean, CLS or max pooling), <c>sentence_bert_config.json</c> (<c>max_seq_length</c>),
/// <c>config_sentence_transformers.json</c> (<c>prompts</c>), <c>tokenizer_config.json</c> and
/// <c>tokenizer.json</c> (lowercasing, accent stripping). Missing files mean sentence-transformers' defaults.
/// Whatever DuckEmbed would compute differently is refused naming the file and the field, never embedded wrong.
/// </summary>
internal sealed record ModelFolderSettings(PoolingMode Pooling, int MaxSequenceLength, IReadOnlyDictionary<string, string> Prompts)
{
    /// <summary>sentence-transformers' own default when a folder does not say.</summary>
    public const int DefaultMaxSequenceLength = 256;

    /// <summary>The bundled all-MiniLM-L6-v2: mean pooling, 256 tokens, no prompts.</summary>
    public static ModelFolderSettings Bundled { get; } = new(PoolingMode.Mean, DefaultMaxSequenceLength, new Dictionary<string, string>());

    private static readonly string[] SupportedModules =
        ["sentence_transformers.models.Transformer", "sentence_transformers.models.Pooling", "sentence_transformers.models.Normalize"];

    public static ModelFolderSettings Read(string directory, string full)
    {
        var poolingFolder = "1_Pooling";
        if (ReadJson(directory, full, "modules.json") is { } modules)
        {
            foreach (var module in modules.EnumerateArray())
            {
                var type = module.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
                if (!SupportedModules.Contains(type))
                {
                    throw Refused(directory, $"modules.json has a {type} module; DuckEmbed runs Transformer, Pooling and Normalize modules only");
                }
                if (type.EndsWith(".Pooling", StringComparison.Ordinal) && module.TryGetProperty("path", out var path) && path.GetString() is { Length: > 0 } folder)
                {
                    poolingFolder = folder;
                }
            }
        }

        var pooling = PoolingMode.Mean;
        if (ReadJson(directory, full, Path.Combine(poolingFolder, "config.json")) is { } poolingConfig)
        {
            var modes = poolingConfig.EnumerateObject()
                .Where(p => p.Name.StartsWith("pooling_mode_", StringComparison.Ordinal) && p.Value.ValueKind == JsonValueKind.True)
                .Select(p => p.Name["pooling_mode_".Length..]).ToList();
            pooling = modes switch
            {
                ["mean_tokens"] => PoolingMode.Mean,
                ["cls_token"] => PoolingMode.Cls,
                ["max_tokens"] => PoolingMode.Max,
                _ => throw Refused(directory, $"{poolingFolder}/config.json asks for {(modes.Count == 0 ? "no pooling" : string.Join(" + ", modes) + " pooling")}; " +
                    "DuckEmbed computes mean, cls_token or max_tokens pooling, one of them"),
            };
            if (pooling != PoolingMode.Cls && poolingConfig.TryGetProperty("include_prompt", out var include) && include.ValueKind == JsonValueKind.False)
            {
                throw Refused(directory, $"{poolingFolder}/config.json has include_prompt false; DuckEmbed pools over the prompt's tokens too");
            }
        }

        var maxLength = DefaultMaxSequenceLength;
        var tokenizerConfig = ReadJson(directory, full, "tokenizer_config.json");
        // Tokenizers without a limit say so with a huge model_max_length; only a real one below the default counts.
        if (tokenizerConfig is { } tc && tc.TryGetProperty("model_max_length", out var modelMax) && modelMax.ValueKind == JsonValueKind.Number
            && modelMax.TryGetInt64(out var modelMaxLength) && modelMaxLength is > 2 and < DefaultMaxSequenceLength)
        {
            maxLength = (int)modelMaxLength;
        }
        if (ReadJson(directory, full, "sentence_bert_config.json") is { } bert && bert.TryGetProperty("max_seq_length", out var seq))
        {
            maxLength = seq.ValueKind == JsonValueKind.Number && seq.TryGetInt32(out var length) && length > 2
                ? length
                : throw Refused(directory, $"sentence_bert_config.json's max_seq_length is {seq.GetRawText()}, not a number of tokens");
        }

        CheckUncased(directory, tokenizerConfig, "tokenizer_config.json", "do_lower_case", "strip_accents");
        if (ReadJson(directory, full, "tokenizer.json") is { } tokenizer && tokenizer.TryGetProperty("normalizer", out var normalizer)
            && normalizer.ValueKind == JsonValueKind.Object)
        {
            CheckUncased(directory, normalizer, "tokenizer.json's normalizer", "lowercase", "strip_accents");
        }

        var prompts = new Dictionary<string, string>(StringComparer.Ordinal);
        if (ReadJson(directory, full, "config_sentence_transformers.json") is { } st && st.TryGetProperty("prompts", out var promptTable)
            && promptTable.ValueKind == JsonValueKind.Object)
        {
            foreach (var prompt in promptTable.EnumerateObject())
            {
                prompts[prompt.Name] = prompt.Value.GetString() ?? "";
            }
        }
        return new ModelFolderSettings(pooling, maxLength, prompts);
    }

    // DuckEmbed's tokenizer is BERT's uncased one: lowercase, accents stripped (HF strips them when it lowercases,
    // unless strip_accents is false).
    private static void CheckUncased(string directory, JsonElement? settings, string file, string lowercaseField, string accentsField)
    {
        if (settings is not { } found)
        {
            return;
        }
        if (found.TryGetProperty(lowercaseField, out var lowercase) && lowercase.ValueKind == JsonValueKind.False)
        {
            throw Refused(directory, $"{file} has {lowercaseField} false; DuckEmbed's tokenizer is the uncased BERT one (lowercase, accents stripped), so its token ids would not be this model's. Use an uncased model");
        }
        if (found.TryGetProperty(accentsField, out var accents) && accents.ValueKind == JsonValueKind.False)
        {
            throw Refused(directory, $"{file} has {accentsField} false; DuckEmbed's tokenizer strips accents, so its token ids would not be this model's");
        }
    }

    private static ModelLoadException Refused(string directory, string why) => new(ModelSetting.ModelPath, $"{directory}: {why}.");

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
            return document.RootElement.ValueKind is JsonValueKind.Object or JsonValueKind.Array
                ? document.RootElement.Clone()
                : throw new ModelLoadException(ModelSetting.ModelPath, $"{directory}: {file} does not hold a JSON object.");
        }
        catch (JsonException e)
        {
            throw new ModelLoadException(ModelSetting.ModelPath, $"{directory}: {file} is not valid JSON ({e.Message}).", e);
        }
    }
}
