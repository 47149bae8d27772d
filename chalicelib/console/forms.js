// Action forms built from the API's own request schemas (/openapi.json), so
// that each form is validated as the API validates: required fields, lengths,
// patterns, ranges, enumerations, dates. The API's problem+json errors are
// shown next to the field they name.

import { api, openapi, Problem } from './api.js';
import { h } from './dom.js';
import { ENUM_OF_SCHEMA, FIELD, LITERAL, label, options } from './labels.js';

const SKIPPED = new Set(['expected_version']);
const LONG_TEXT = 300;

function refName(schema) {
  return schema && schema.$ref ? schema.$ref.split('/').pop() : null;
}

function resolve(doc, schema) {
  let current = schema;
  while (current && current.$ref) current = doc.components.schemas[refName(current)];
  return current || {};
}

function unwrap(doc, schema) {
  if (schema && schema.anyOf) {
    const parts = schema.anyOf.filter((part) => part.type !== 'null');
    return { schema: parts[0], nullable: parts.length < schema.anyOf.length };
  }
  return { schema, nullable: false };
}

export async function bodySchema(action) {
  const doc = await openapi();
  const operation = (doc.paths[`/v1/cases/{case_id}/${action}`] || {}).post;
  const content = operation && operation.requestBody && operation.requestBody.content['application/json'];
  return { doc, schema: resolve(doc, content ? content.schema : null) };
}

// A field of the form: where it is in the body (`agreement.summary`), how it is entered, and its rules.
export function describe(doc, schema, prefix = '') {
  const required = new Set(schema.required || []);
  return Object.entries(schema.properties || {})
    .filter(([name]) => !SKIPPED.has(name))
    .map(([name, raw]) => {
      const path = prefix ? `${prefix}.${name}` : name;
      const { schema: inner, nullable } = unwrap(doc, raw);
      const enumName = ENUM_OF_SCHEMA[refName(inner)] || null;
      const rules = resolve(doc, inner);
      const field = { name, path, required: required.has(name) && !nullable, rules, enumName };
      if (rules.type === 'object' && rules.properties) return { ...field, kind: 'object', children: describe(doc, rules, path) };
      if (rules.enum) return { ...field, kind: 'select' };
      if (rules.type === 'array' && resolve(doc, rules.items).type === 'string') {
        return { ...field, kind: 'lines', itemRules: resolve(doc, rules.items) };
      }
      if (rules.type === 'array') return { ...field, kind: 'json' };
      if (rules.type === 'integer' || rules.type === 'number') return { ...field, kind: 'number' };
      if (rules.type === 'boolean') return { ...field, kind: 'boolean' };
      if (rules.format === 'date') return { ...field, kind: 'date' };
      if (rules.format === 'date-time') return { ...field, kind: 'datetime' };
      return { ...field, kind: (rules.maxLength || 0) > LONG_TEXT ? 'textarea' : 'text' };
    });
}

function fieldLabel(field) {
  return FIELD[field.name] || field.rules.title || field.name;
}

function optionsOf(field) {
  const values = field.rules.enum || [];
  if (field.enumName && options(field.enumName).length) return values.map((value) => [value, label(field.enumName, value)]);
  const literal = LITERAL[field.name] || {};
  return values.map((value) => [value, literal[value] || value]);
}

function control(field) {
  const common = { name: field.path, id: `f-${field.path}`, 'aria-describedby': `e-${field.path}` };
  switch (field.kind) {
    case 'select':
      return h('select', common, h('option', { value: '' }, '请选择'),
        optionsOf(field).map(([value, text]) => h('option', { value }, text)));
    case 'textarea':
    case 'lines':
    case 'json':
      return h('textarea', { ...common, rows: field.kind === 'textarea' ? 4 : 3 });
    case 'number':
      return h('input', { ...common, type: 'number', step: field.rules.type === 'integer' ? 1 : 'any' });
    case 'boolean':
      return h('input', { ...common, type: 'checkbox' });
    case 'date':
      return h('input', { ...common, type: 'date' });
    case 'datetime':
      return h('input', { ...common, type: 'datetime-local' });
    default:
      return h('input', { ...common, type: 'text' });
  }
}

function renderFields(fields) {
  return fields.map((field) => {
    const error = h('span', { class: 'field-error', id: `e-${field.path}`, dataset: { errorFor: field.path } });
    if (field.kind === 'object') {
      return h('fieldset', { dataset: { field: field.path } }, h('legend', {}, fieldLabel(field)),
        error, renderFields(field.children));
    }
    return h('div', { class: 'field', dataset: { field: field.path } },
      h('label', { for: `f-${field.path}` }, fieldLabel(field), field.required ? h('span', { class: 'req' }, ' *') : null),
      control(field), error);
  });
}

// The body the form's values make, leaving out what was left empty.
export function collect(form, fields) {
  const body = {};
  for (const field of fields) {
    if (field.kind === 'object') {
      const inner = collect(form, field.children);
      if (Object.keys(inner).length) body[field.name] = inner;
      continue;
    }
    const input = form.elements.namedItem(field.path);
    if (!input) continue;
    if (field.kind === 'boolean') { body[field.name] = input.checked; continue; }
    if (field.kind === 'number' && input.validity && input.validity.badInput) { body[field.name] = Number.NaN; continue; }
    const text = input.value.trim();
    if (text === '') continue;
    if (field.kind === 'number') body[field.name] = Number(text);
    else if (field.kind === 'lines') body[field.name] = text.split('\n').map((line) => line.trim()).filter(Boolean);
    else if (field.kind === 'json') { try { body[field.name] = JSON.parse(text); } catch { body[field.name] = text; } }
    else if (field.kind === 'datetime') body[field.name] = `${text.length === 16 ? `${text}:00` : text}+08:00`;
    else body[field.name] = text;
  }
  return body;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

function length(text) {
  return [...text].length;
}

function stringProblem(rules, text) {
  if (rules.minLength !== undefined && length(text) < rules.minLength) return `至少 ${rules.minLength} 个字`;
  if (rules.maxLength !== undefined && length(text) > rules.maxLength) return `不能超过 ${rules.maxLength} 个字`;
  if (rules.pattern) {
    try { if (!new RegExp(rules.pattern, 'u').test(text)) return '格式不正确'; } catch { /* the API judges */ }
  }
  return null;
}

// What the API would refuse in the body, by field: the same rules its schema states.
export function validate(body, fields) {
  const errors = [];
  for (const field of fields) {
    const value = body[field.name];
    const rules = field.rules;
    if (field.kind === 'object') {  // an empty required part: what is missing in it, field by field
      if (value !== undefined || field.required) errors.push(...validate(value || {}, field.children));
      continue;
    }
    if (value === undefined) {
      if (field.required) errors.push({ field: field.path, message: '必填' });
      continue;
    }
    let message = null;
    if (rules.enum && !rules.enum.includes(value)) message = '请选择一项';
    else if (field.kind === 'number') {
      if (!Number.isFinite(value)) message = '请填写数字';
      else if (rules.type === 'integer' && !Number.isInteger(value)) message = '请填写整数';
      else if (rules.minimum !== undefined && value < rules.minimum) message = `不能小于 ${rules.minimum}`;
      else if (rules.maximum !== undefined && value > rules.maximum) message = `不能大于 ${rules.maximum}`;
    } else if (field.kind === 'date' && !DATE.test(value)) message = '请填写日期';
    else if (field.kind === 'lines') {
      if (rules.minItems !== undefined && value.length < rules.minItems) message = `至少 ${rules.minItems} 条`;
      else if (rules.maxItems !== undefined && value.length > rules.maxItems) message = `不能超过 ${rules.maxItems} 条`;
      else {
        const index = value.findIndex((item) => stringProblem(field.itemRules || {}, item));
        if (index >= 0) message = `第 ${index + 1} 条${stringProblem(field.itemRules, value[index])}`;
      }
    } else if (typeof value === 'string') message = stringProblem(rules, value);
    if (message) errors.push({ field: field.path, message });
  }
  return errors;
}

// Shows each error next to its field: `agreement.terms[2]` goes to `agreement.terms`, and what names no
// field of the form goes to the form's own line.
export function showErrors(form, errors, formLine) {
  for (const slot of form.querySelectorAll('[data-error-for]')) slot.textContent = '';
  for (const field of form.querySelectorAll('[data-field]')) field.classList.remove('invalid');
  const unplaced = [];
  for (const error of errors) {
    let path = String(error.field || '').replace(/\[\d+\]/g, '');
    let slot = null;
    while (path && !(slot = form.querySelector(`[data-error-for="${CSS.escape(path)}"]`))) {
      path = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : '';
    }
    if (slot) {
      slot.textContent = slot.textContent ? `${slot.textContent}；${error.message}` : error.message;
      slot.closest('[data-field]').classList.add('invalid');
    } else unplaced.push(error.message);
  }
  formLine.textContent = unplaced.join('；');
}

export async function actionForm(caseView, action, title, onDone) {
  const { doc, schema } = await bodySchema(action);
  const fields = describe(doc, schema);
  const formLine = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary' }, `提交：${title}`);
  const form = h('form', { class: 'action-form', novalidate: true, dataset: { action } },
    h('h3', {}, title), renderFields(fields), formLine, submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = collect(form, fields);
    const errors = validate(body, fields);
    showErrors(form, errors, formLine);
    if (errors.length) return;
    submit.disabled = true;
    try {
      const result = await api(`v1/cases/${encodeURIComponent(caseView.case_id)}/${action}`, {
        method: 'POST', body: { ...body, expected_version: caseView.version },
      });
      await onDone(result);
    } catch (error) {
      if (error instanceof Problem) {
        showErrors(form, error.errors.length ? error.errors : [{ field: '', message: `${error.title}：${error.detail}` }], formLine);
      } else formLine.textContent = String(error);
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
