using System.Text;
using DuckDB.NET.Data;
using DuckEmbed.Processor.Tests;
using DuckEmbed.Tests;

namespace DuckEmbed.Cli.Tests;

/// <summary>The real program with a second real model folder (model_path): CLS pooling, 512 tokens, a query prompt.</summary>
public sealed class ArcticEndToEndTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void A_cls_pooled_model_folder_embeds_every_row_as_hugging_face_does_and_searches_with_its_query_prompt()
    {
        var rows = ArcticModel.Reference.Where(r => r.Prompt is null).ToList();
        using (var connection = new DuckDBConnection($"Data Source={_folder.File("input.duckdb")}"))
        {
            connection.Open();
            using (var command = connection.CreateCommand())
            {
                command.CommandText = "CREATE TABLE texts (id INTEGER, text VARCHAR)";
                command.ExecuteNonQuery();
            }
            using var appender = connection.CreateAppender("texts");
            foreach (var row in rows)
            {
                appender.CreateRow().AppendValue(row.Id).AppendValue(Encoding.UTF8.GetBytes(row.Text)).EndRow();
            }
        }
        var config = _folder.File("config.json");
        File.WriteAllText(config, $$"""
            { "input_db_path": "input.duckdb", "output_db_path": "output.duckdb", "input_table": "texts", "id_column": "id",
              "text_column": "text", "output_table": "embedded", "model_path": {{System.Text.Json.JsonSerializer.Serialize(ArcticModel.Folder)}} }
            """);

        var (exitCode, stdout, stderr) = CliProcess.Run(config, new Dictionary<string, string> { ["BATCH_SIZE"] = "16" });

        Assert.True(exitCode == 0, stdout + stderr);
        var output = _folder.File("output.duckdb");
        var reference = rows.ToDictionary(r => r.Id);
        var lowest = TestDatabase.Query(output, "SELECT id, vector FROM embedded")
            .Min(r => VectorMath.Cosine(((List<float>)r[1]!).ToArray(), reference[(int)r[0]!].Embedding));
        Assert.True(lowest >= 0.9999, $"lowest cosine {lowest:F6}");
        Assert.Equal("cls", TestDatabase.Query(output, "SELECT value FROM duckembed_metadata WHERE key = 'pooling'")[0][0]);
        Assert.Equal("512", TestDatabase.Query(output, "SELECT value FROM duckembed_metadata WHERE key = 'max_length'")[0][0]);

        var (searchExit, hits, searchErrors) = CliProcess.RunCommand(config, "search", "Tool for viewing and editing FITS format files", "-k", "1", "--json");
        Assert.True(searchExit == 0, searchErrors);
        Assert.Contains("\"id\":\"1\"", hits, StringComparison.Ordinal);
    }
}
