namespace DuckEmbed.Onnx.Graph;

/// <summary>
/// The texts int8 calibration runs: a spread of lengths, registers and scripts. The outlier channels are a property
/// of the model (they sit on [CLS], [SEP] and a few fixed channels whatever the text), so a few dozen texts find
/// them; what matters is that short, long, prose, code and non-Latin texts are all represented.
/// </summary>
internal static class CalibrationTexts
{
    public static IReadOnlyList<string> All { get; } =
    [
        "",
        "hello",
        "Yes.",
        "How do I reset my password if I no longer have access to the email address on the account?",
        "The quick brown fox jumps over the lazy dog.",
        "A lightweight library for parsing and validating configuration files written in TOML, with helpful error messages.",
        "This package provides the shared libraries needed by programs that read and write compressed archives in several formats, including tar, zip and 7z.",
        "Command-line tool to synchronise files between a laptop and a remote server over SSH; only the changed blocks are sent.",
        "The meeting has been moved to Thursday at 3 pm because the conference room is being renovated this week.",
        "Mix the flour, sugar and butter until crumbly, then add two eggs and bake for 25 minutes at 180 degrees.",
        "In 1969 the Apollo 11 mission landed two astronauts on the Moon; they spent about 21 hours on the surface.",
        "def add(a, b):\n    return a + b  # returns the sum",
        "SELECT id, name FROM users WHERE created_at > '2024-01-01' ORDER BY name;",
        "Error: connection refused (ECONNREFUSED) at 127.0.0.1:5432 - is the database running?",
        "https://example.com/docs/getting-started?lang=en#installation",
        "Version 2.4.1 fixes a crash on start-up, improves memory use by 30% and adds support for ARM64.",
        "TODO: refactor this function; it is far too long and mixes parsing with I/O.",
        "Le chat dort sur le canapé pendant que la pluie tombe doucement sur la ville.",
        "Der Zug nach Berlin fährt heute wegen Bauarbeiten zwanzig Minuten später ab.",
        "El servidor se reinicia automáticamente cada noche a las tres de la mañana.",
        "Москва — столица России и крупнейший город страны.",
        "東京は日本の首都であり、世界有数の大都市です。",
        "人工智能正在改变我们处理信息的方式。",
        "القراءة غذاء العقل والروح.",
        "भारत एक विशाल और विविधताओं से भरा देश है।",
        "Great product!!! 👍👍 Would buy again :)",
        "1, 2, 3, 4, 5, 6, 7, 8, 9, 10",
        "ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok",
        "Abstract: We study the convergence of stochastic gradient descent for non-convex objectives and show that, under mild "
            + "assumptions on the noise, the iterates reach an approximate stationary point in a number of steps that grows "
            + "polynomially with the desired accuracy. Experiments on image classification and language modelling confirm "
            + "the analysis and show that a simple learning-rate schedule matches the performance of tuned baselines.",
        "Documentation for the plotting library: line charts, bar charts, scatter plots and histograms, with examples "
            + "of how to label axes, add legends, choose colour maps and export figures to PNG, SVG and PDF. The library "
            + "works with arrays, data frames and plain lists, and integrates with notebooks for interactive use.",
    ];
}
