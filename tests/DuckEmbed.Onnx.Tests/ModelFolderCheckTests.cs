using DuckEmbed.Tests;
using DuckEmbed.Onnx.Graph;

namespace DuckEmbed.Onnx.Tests;

/// <summary>A model folder is complete and of the right shape, or refused at load naming the file and field.</summary>
public sealed class ModelFolderCheckTests
{
    private const string Modules = """[{"idx":0,"name":"0","path":"","type":"sentence_transformers.models.Transformer"},{"idx":1,"name":"1","path":"1_Pooling","type":"sentence_transformers.models.Pooling"}]""";

    [Fact]
    public void A_folder_copied_without_the_pooling_folder_modules_json_names_is_refused()
    {
        using var folder = ExportedModelFolder.Make("cls_token");
        File.WriteAllText(folder.File("modules.json"), Modules);
        Directory.Delete(folder.File("1_Pooling"), recursive: true);

        var error = Assert.Throws<ModelLoadException>(() => ModelSource.FromDirectory(folder.Path));

        Assert.Equal(ModelSetting.ModelPath, error.Setting);
        Assert.Contains("modules.json names a Pooling module in 1_Pooling/, but 1_Pooling/config.json is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_without_modules_json_keeps_sentence_transformers_default_of_mean_pooling()
    {
        using var folder = ExportedModelFolder.Make();
        Directory.Delete(folder.File("1_Pooling"), recursive: true);

        Assert.Equal(PoolingMode.Mean, ModelSource.FromDirectory(folder.Path).Settings.Pooling);
    }

    [Theory]
    [InlineData("modules.json", """{"type":"sentence_transformers.models.Transformer"}""", "modules.json holds an object, not a JSON list")]
    [InlineData("modules.json", """[{"type":5}]""", "modules.json's type is 5, not a string")]
    [InlineData("modules.json", """[7]""", "modules.json lists 7, not a module object")]
    [InlineData("modules.json", """[{"path":"x"}]""", "modules.json lists a module without a type")]
    [InlineData("1_Pooling/config.json", """[true]""", "1_Pooling/config.json holds a list, not a JSON object")]
    [InlineData("1_Pooling/config.json", """{"pooling_mode_mean_tokens":"yes"}""", "1_Pooling/config.json's pooling_mode_mean_tokens is \"yes\", not true or false")]
    [InlineData("1_Pooling/config.json", """{"pooling_mode_mean_tokens":true,"include_prompt":0}""", "1_Pooling/config.json's include_prompt is 0, not true or false")]
    [InlineData("config_sentence_transformers.json", """{"prompts":{"query":5}}""", "config_sentence_transformers.json's prompts's query is 5, not a string")]
    [InlineData("config_sentence_transformers.json", """{"prompts":["query: "]}""", "config_sentence_transformers.json's prompts is a list, not a JSON object")]
    [InlineData("sentence_bert_config.json", """{"max_seq_length":100000}""", "sentence_bert_config.json's max_seq_length is 100000, not a number of tokens from 3 to 65,536")]
    [InlineData("sentence_bert_config.json", """{"max_seq_length":-5}""", "sentence_bert_config.json's max_seq_length is -5")]
    [InlineData("sentence_bert_config.json", """3""", "sentence_bert_config.json holds 3, not a JSON object")]
    [InlineData("tokenizer_config.json", """{"do_lower_case":"true"}""", "tokenizer_config.json's do_lower_case is \"true\", not true or false")]
    [InlineData("tokenizer.json", """{"normalizer":"bert"}""", "tokenizer.json's normalizer is \"bert\", not a JSON object")]
    [InlineData("tokenizer.json", """{"normalizer":{"lowercase":1}}""", "tokenizer.json's normalizer's lowercase is 1, not true or false")]
    public void A_model_file_of_the_wrong_shape_is_refused_naming_the_file_and_field(string file, string content, string expected)
    {
        using var folder = ExportedModelFolder.Make();
        File.WriteAllText(folder.File(file), content);

        var error = Assert.Throws<ModelLoadException>(() => ModelSource.FromDirectory(folder.Path));

        Assert.Equal(ModelSetting.ModelPath, error.Setting);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_bundled_model_s_token_and_position_tables_are_read_from_its_graph()
    {
        var tables = ModelTables.Read(ModelSource.Bundled().ReadModel());

        Assert.Equal(new ModelTables(30_522, 512), tables);
    }

    [Fact]
    public void A_max_seq_length_past_the_model_s_position_table_is_refused_at_load()
    {
        using var folder = ExportedModelFolder.Make();
        File.WriteAllText(folder.File("sentence_bert_config.json"), """{"max_seq_length":1000}""");

        var error = Assert.Throws<ModelLoadException>(() => SentenceEmbeddingGenerator.Create(ModelSource.FromDirectory(folder.Path), new SentenceEmbeddingOptions()));

        Assert.Equal(ModelSetting.ModelPath, error.Setting);
        Assert.EndsWith("sentence_bert_config.json's max_seq_length is 1000, but the model has positions for 512 tokens. Set it to 512 or less.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_max_seq_length_that_fills_the_position_table_embeds()
    {
        using var folder = ExportedModelFolder.Make();
        File.WriteAllText(folder.File("sentence_bert_config.json"), """{"max_seq_length":512}""");
        using var generator = SentenceEmbeddingGenerator.Create(ModelSource.FromDirectory(folder.Path), new SentenceEmbeddingOptions());

        var vector = (await generator.GenerateAsync([string.Join(' ', Enumerable.Repeat("word", 2000))]))[0].Vector.ToArray();

        Assert.Equal(1.0, VectorMath.Norm(vector), 5);
    }

    [Fact]
    public void A_vocabulary_longer_than_the_model_s_token_table_is_refused_at_load()
    {
        using var folder = ExportedModelFolder.Make();
        File.AppendAllLines(folder.File("vocab.txt"), Enumerable.Range(0, 10).Select(i => $"extra{i}"));

        var error = Assert.Throws<ModelLoadException>(() => SentenceEmbeddingGenerator.Create(ModelSource.FromDirectory(folder.Path), new SentenceEmbeddingOptions()));

        Assert.Contains("vocab.txt has ids up to 30531, but the model's token table has 30522 rows", error.Message, StringComparison.Ordinal);
    }
}
