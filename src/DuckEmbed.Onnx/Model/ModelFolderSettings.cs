using System.Text.Json;

namespace DuckEmbed.Onnx.Model;

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

    /// <summary>
    /// Most tokens a folder may ask for. No BERT-family model has a longer position table; a larger number is a typo,
    /// and the model's own table is checked when it loads (<see cref="Graph.ModelTables"/>).
    /// </summary>
    public const int LargestMaxSequenceLength = 1 << 16;

    public static ModelFolderSettings Read(string directory, string full)
    {
        var poolingFolder = "1_Pooling";
        var poolingRequired = false;
        if (ReadJson(directory, full, "modules.json", JsonValueKind.Array) is { } modules)
        {
            foreach (var module in modules.EnumerateArray())
            {
                if (module.ValueKind != JsonValueKind.Object)
                {
                    throw Refused(directory, $"modules.json lists {Describe(module)}, not a module object with a type and a path");
                }
                var type = Field(directory, module, "modules.json", "type", JsonValueKind.String)?.GetString()
                    ?? throw Refused(directory, "modules.json lists a module without a type");
                if (!SupportedModules.Contains(type))
                {
                    throw Refused(directory, $"modules.json has a {type} module; DuckEmbed runs Transformer, Pooling and Normalize modules only");
                }
                if (type.EndsWith(".Pooling", StringComparison.Ordinal))
                {
                    poolingRequired = true;
                    if (Field(directory, module, "modules.json", "path", JsonValueKind.String)?.GetString() is { Length: > 0 } folder)
                    {
                        poolingFolder = folder;
                    }
                }
            }
        }

        var pooling = PoolingMode.Mean;
        var poolingFile = Path.Combine(poolingFolder, "config.json");
        var poolingConfig = ReadJson(directory, full, poolingFile, JsonValueKind.Object);
        if (poolingConfig is null && poolingRequired)
        {
            // sentence-transformers refuses such a folder too; mean pooling in its place would be a silent guess.
            throw Refused(directory, $"modules.json names a Pooling module in {poolingFolder}/, but {poolingFile} is missing. " +
                "Copy the model folder with its subfolders (cp -r), as sentence-transformers needs them too");
        }
        if (poolingConfig is { } config)
        {
            var modes = config.EnumerateObject()
                .Where(p => p.Name.StartsWith("pooling_mode_", StringComparison.Ordinal)
                    && Typed(directory, p.Value, poolingFile, p.Name, JsonValueKind.True).ValueKind == JsonValueKind.True)
                .Select(p => p.Name["pooling_mode_".Length..]).ToList();
            pooling = modes switch
            {
                ["mean_tokens"] => PoolingMode.Mean,
                ["cls_token"] => PoolingMode.Cls,
                ["max_tokens"] => PoolingMode.Max,
                _ => throw Refused(directory, $"{poolingFolder}/config.json asks for {(modes.Count == 0 ? "no pooling" : string.Join(" + ", modes) + " pooling")}; " +
                    "DuckEmbed computes mean, cls_token or max_tokens pooling, one of them"),
            };
            if (pooling != PoolingMode.Cls && Field(directory, config, poolingFile, "include_prompt", JsonValueKind.True) is { ValueKind: JsonValueKind.False })
            {
                throw Refused(directory, $"{poolingFolder}/config.json has include_prompt false; DuckEmbed pools over the prompt's tokens too");
            }
        }

        var maxLength = DefaultMaxSequenceLength;
        var tokenizerConfig = ReadJson(directory, full, "tokenizer_config.json", JsonValueKind.Object);
        // Tokenizers without a limit say so with a huge model_max_length; only a real one below the default counts.
        if (tokenizerConfig is { } tc && Field(directory, tc, "tokenizer_config.json", "model_max_length", JsonValueKind.Number) is { } modelMax
            && modelMax.TryGetInt64(out var modelMaxLength) && modelMaxLength is > 2 and < DefaultMaxSequenceLength)
        {
            maxLength = (int)modelMaxLength;
        }
        if (ReadJson(directory, full, "sentence_bert_config.json", JsonValueKind.Object) is { } bert && bert.TryGetProperty("max_seq_length", out var seq)
            && seq.ValueKind != JsonValueKind.Null)
        {
            maxLength = seq.ValueKind == JsonValueKind.Number && seq.TryGetInt32(out var length) && length is > 2 and <= LargestMaxSequenceLength
                ? length
                : throw Refused(directory, $"sentence_bert_config.json's max_seq_length is {seq.GetRawText()}, not a number of tokens from 3 to {LargestMaxSequenceLength:N0}");
        }

        CheckUncased(directory, tokenizerConfig, "tokenizer_config.json", "do_lower_case", "strip_accents");
        if (ReadJson(directory, full, "tokenizer.json", JsonValueKind.Object) is { } tokenizer
            && Field(directory, tokenizer, "tokenizer.json", "normalizer", JsonValueKind.Object) is { } normalizer)
        {
            CheckUncased(directory, normalizer, "tokenizer.json's normalizer", "lowercase", "strip_accents");
        }

        var prompts = new Dictionary<string, string>(StringComparer.Ordinal);
        if (ReadJson(directory, full, "config_sentence_transformers.json", JsonValueKind.Object) is { } st
            && Field(directory, st, "config_sentence_transformers.json", "prompts", JsonValueKind.Object) is { } promptTable)
        {
            foreach (var prompt in promptTable.EnumerateObject())
            {
                prompts[prompt.Name] = prompt.Value.ValueKind == JsonValueKind.Null ? ""
                    : Typed(directory, prompt.Value, "config_sentence_transformers.json's prompts", prompt.Name, JsonValueKind.String).GetString()!;
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
        if (Field(directory, found, file, lowercaseField, JsonValueKind.True) is { ValueKind: JsonValueKind.False })
        {
            throw Refused(directory, $"{file} has {lowercaseField} false; DuckEmbed's tokenizer is the uncased BERT one (lowercase, accents stripped), so its token ids would not be this model's. Use an uncased model");
        }
        // HF's strip_accents is true, false or null (null: follow lowercase).
        if (Field(directory, found, file, accentsField, JsonValueKind.True) is { ValueKind: JsonValueKind.False })
        {
            throw Refused(directory, $"{file} has {accentsField} false; DuckEmbed's tokenizer strips accents, so its token ids would not be this model's");
        }
    }

    private static ModelLoadException Refused(string directory, string why) => new(ModelSetting.ModelPath, $"{directory}: {why}.");

    private static JsonElement? ReadJson(string directory, string full, string file, JsonValueKind kind)
    {
        var path = Path.Combine(full, file);
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            return document.RootElement.ValueKind == kind
                ? document.RootElement.Clone()
                : throw Refused(directory, $"{file} holds {Describe(document.RootElement)}, not {KindName(kind)}");
        }
        catch (JsonException e)
        {
            throw new ModelLoadException(ModelSetting.ModelPath, $"{directory}: {file} is not valid JSON ({e.Message}).", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelLoadException(ModelSetting.ModelPath, $"{directory}: {file} cannot be read ({e.Message}).", e);
        }
    }

    /// <summary>
    /// <paramref name="field"/> of <paramref name="element"/> where present and not null, refused naming the file and
    /// field when it is not of <paramref name="kind"/> (<see cref="JsonValueKind.True"/> stands for either boolean).
    /// </summary>
    private static JsonElement? Field(string directory, JsonElement element, string file, string field, JsonValueKind kind)
    {
        return !element.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null
            ? null
            : Typed(directory, value, file, field, kind);
    }

    private static JsonElement Typed(string directory, JsonElement value, string file, string field, JsonValueKind kind)
    {
        var matches = kind == JsonValueKind.True ? value.ValueKind is JsonValueKind.True or JsonValueKind.False : value.ValueKind == kind;
        return matches ? value : throw Refused(directory, $"{file}'s {field} is {Describe(value)}, not {KindName(kind)}");
    }

    private static string KindName(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "a JSON object",
        JsonValueKind.Array => "a JSON list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        _ => "true or false",
    };

    private static string Describe(JsonElement value)
    {
        var raw = value.GetRawText();
        return value.ValueKind switch
        {
            JsonValueKind.Object => "an object",
            JsonValueKind.Array => "a list",
            _ => raw.Length > 40 ? raw[..40] + "…" : raw,
        };
    }
}
