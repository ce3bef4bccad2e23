using System.Globalization;
using System.Text.Json;
using DuckDB.NET.Data;
using DuckEmbed.Onnx;

namespace DuckEmbed.Bench;

/// <summary>What the benchmark script needs around the runs: the model as a file, inputs, and accuracy checks.</summary>
internal static class BenchFiles
{
    /// <summary>Writes the bundled model to <paramref name="path"/>, for peers that load a model folder.</summary>
    public static void ExportModel(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllBytes(path, ModelSource.Bundled().ReadModel());
    }

    /// <summary>An input DuckDB with table <c>texts(id BIGINT, text VARCHAR)</c> from the first <paramref name="count"/> lines of a JSONL file.</summary>
    public static void MakeInput(string textsPath, int count, string databasePath) =>
        WriteInput(databasePath, RawOrtBenchmark.ReadTexts(textsPath, count).Select((text, i) => (i + 1L, text)));

    /// <summary>A new DuckDB file with table <c>texts(id BIGINT, text VARCHAR)</c> holding <paramref name="rows"/>.</summary>
    public static void WriteInput(string databasePath, IEnumerable<(long Id, string Text)> rows)
    {
        File.Delete(databasePath);
        using var connection = new DuckDBConnection($"Data Source={databasePath}");
        connection.Open();
        using (var create = connection.CreateCommand())
        {
            create.CommandText = "CREATE TABLE texts (id BIGINT, text VARCHAR)";
            create.ExecuteNonQuery();
        }
        using var appender = connection.CreateAppender("texts");
        foreach (var (id, text) in rows)
        {
            // DuckDB.NET ends a string at a NUL (the reference has some); UTF-8 bytes keep the whole text.
            appender.CreateRow().AppendValue(id).AppendValue(System.Text.Encoding.UTF8.GetBytes(text)).EndRow();
        }
    }

    /// <summary>
    /// Compares embeddings with the reference, row by row in order: from a JSONL file (<c>{"embedding": [...]}</c>)
    /// or from a DuckEmbed output database (table <c>texts_embedded</c>, id order).
    /// </summary>
    /// <summary>Runs <paramref name="statements"/> on the database at <paramref name="path"/>; returns the seconds they took.</summary>
    public static double Execute(string path, IEnumerable<string> statements)
    {
        using var connection = new DuckDBConnection($"Data Source={path}");
        connection.Open();
        var timer = System.Diagnostics.Stopwatch.StartNew();
        foreach (var sql in statements)
        {
            using var command = connection.CreateCommand();
            command.CommandText = sql;
            command.ExecuteNonQuery();
        }
        return timer.Elapsed.TotalSeconds;
    }

    public static void Check(string name, string referencePath, string embeddingsPath)
    {
        var reference = ReadEmbeddings(referencePath);
        var ours = embeddingsPath.EndsWith(".duckdb", StringComparison.Ordinal) ? ReadOutput(embeddingsPath) : ReadEmbeddings(embeddingsPath);
        if (ours.Count != reference.Count)
        {
            Console.WriteLine($"check {name}: {ours.Count} embeddings for {reference.Count} reference rows");
            return;
        }
        var cosines = reference.Zip(ours, Cosine).ToList();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"check {name}: rows={cosines.Count} lowest_cosine={cosines.Min():F7} mean_cosine={cosines.Average():F7} below_0.9999={cosines.Count(c => c < 0.9999)} below_0.99={cosines.Count(c => c < 0.99)}"));
    }

    /// <summary>The <c>embedding</c> of every line of a JSONL file.</summary>
    public static List<float[]> ReadEmbeddings(string path) => [.. File.ReadLines(path).Select(ReadEmbedding)];

    private static float[] ReadEmbedding(string line) =>
        JsonDocument.Parse(line).RootElement.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();

    private static List<float[]> ReadOutput(string path)
    {
        using var connection = new DuckDBConnection($"Data Source={path};ACCESS_MODE=READ_ONLY");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT vector FROM texts_embedded ORDER BY id";
        using var reader = command.ExecuteReader();
        var rows = new List<float[]>();
        while (reader.Read())
        {
            rows.Add(reader.GetFieldValue<List<float>>(0).ToArray());
        }
        return rows;
    }

    private static double Cosine(float[] a, float[] b)
    {
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        return na == 0 || nb == 0 ? (na == nb ? 1 : 0) : dot / Math.Sqrt(na * nb);
    }
}
