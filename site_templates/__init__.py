"""The built-in theme: Jinja2 templates and assets/, installed inside the
package as broadsheet.site_templates so that an installed broadsheet finds it."""
