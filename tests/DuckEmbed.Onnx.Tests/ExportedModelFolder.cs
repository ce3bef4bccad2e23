using DuckEmbed.Tests;

namespace DuckEmbed.Onnx.Tests;

internal static class ExportedModelFolder
{
    /// <summary>The bundled model's files laid out as a Hugging Face export: onnx/model.onnx, vocab.txt and the settings files.</summary>
    public static TempDirectory Make(string pooling = "mean_tokens", bool lowerCase = true)
    {
        var folder = new TempDirectory();
        var source = ModelSource.Bundled();
        Directory.CreateDirectory(folder.File("onnx"));
        File.WriteAllBytes(folder.File(Path.Combine("onnx", "model.onnx")), source.ReadModel());
        using (var vocabulary = source.OpenVocabulary())
        using (var file = File.Create(folder.File("vocab.txt")))
        {
            vocabulary.CopyTo(file);
        }
        Directory.CreateDirectory(folder.File("1_Pooling"));
        File.WriteAllText(folder.File(Path.Combine("1_Pooling", "config.json")),
            $$"""{ "word_embedding_dimension": 384, "pooling_mode_cls_token": false, "pooling_mode_mean_tokens": false, "pooling_mode_{{pooling}}": true }""");
        File.WriteAllText(folder.File("tokenizer_config.json"), $$"""{ "do_lower_case": {{(lowerCase ? "true" : "false")}} }""");
        return folder;
    }
}
