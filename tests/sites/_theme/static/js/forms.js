// Fixture theme: a script every page loads.
document.documentElement.dataset.fixture = 'forms';
