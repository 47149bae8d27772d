// Chinese labels: the enumerations' come from /v1/meta; these are the console's own.

import { meta } from './api.js';

let enums = {};

export async function loadLabels() {
  const document = await meta();
  enums = {};
  for (const [name, members] of Object.entries(document.enums || {})) {
    enums[name] = Object.fromEntries(members.map((member) => [member.value, member.label]));
  }
  return enums;
}

export function label(enumName, value) {
  if (value === null || value === undefined) return '—';
  return (enums[enumName] && enums[enumName][value]) || String(value);
}

export function options(enumName) {
  return Object.entries(enums[enumName] || {});
}

export const ROLE = { admin: '系统管理员', supervisor: '督导', mediator: '调解员' };
export const LEVEL = { district: '区县', town: '镇街', village: '村社' };
export const DEADLINE = { accept: '接单时限', resolve: '结单时限' };
export const SUPERVISION_LEVEL = ['0 级（提醒）', '1 级（超期）', '2 级（督办函）', '3 级（挂牌督办）'];

export const ACTION = {
  accept: '接单', decline: '退单', escalate: '上报', note: '记录进展', resolve: '调解成功',
  fail: '调解不成', visit: '回访', close: '结案', withdraw: '撤回', request_extension: '申请延期',
  decide_extension: '延期审批', suspend: '中止', resume: '恢复', transfer: '移交',
  judicial_confirmation: '司法确认', add_participant: '联合调解', schedule_session: '安排调解会',
  sponsor: '领导包案', merge: '并案',
};

export const EVENT = {
  received: '受理', triaged: '分诊', routed: '分流', dispatched: '派单', accepted: '接单', declined: '退单', escalated: '上报',
  supervision: '督办', note: '进展', resolved: '调解成功', unresolved: '调解不成', visited: '回访',
  visit_notice: '回访提醒', closed: '结案', withdrawn: '撤回', transferred: '移交', unroutable: '无法派单',
  extension_requested: '申请延期', extension_decided: '延期审批', suspended: '中止', resumed: '恢复',
  merged: '并案', merged_in: '并入', judicial_confirmation: '司法确认', self_evaluation: '当事人评价',
  participant_added: '联合调解', session_scheduled: '调解会', session_reminder: '调解会提醒',
  sponsored: '领导包案', sponsor_due: '包案提醒', anonymised: '匿名化', retention_hold: '保留',
  attachment_added: '上传材料', attachment_removed: '删除材料', duplicate_suspected: '疑似重复',
};

export const DETAIL = {
  reason: '理由', text: '内容', channel: '渠道', external_ref: '来源编号', category: '类别', risk_level: '风险等级',
  org_id: '调解组织', mediator_id: '调解员', tier: '层级', accept_due_at: '接单时限', resolve_due_at: '结单时限',
  summary: '协议摘要', performance_due: '履行期限', referral: '分流去向', step: '步骤', level: '督办等级',
  due_at: '时限', deadline: '时限类型', agreement_performed: '协议履行', satisfaction: '满意度', note: '备注',
  working_days: '工作日', decision: '决定', resume_on: '恢复日期', mediation_type: '调解类型',
};

export const FIELD = {
  reason: '理由', text: '内容', note: '备注', summary: '协议内容摘要', performance_due: '履行期限',
  facts: '纠纷主要事实', terms: '协议条款（每行一条）', performance_method: '履行方式',
  performance_place: '履行地点', effective_on: '生效日期', referral: '分流去向',
  agreement: '调解协议', agreement_performed: '协议履行情况', satisfaction: '满意度（三维）',
  attitude: '服务态度', process: '调解过程', effect: '调解效果', working_days: '延长工作日',
  decision: '审批决定', reason_code: '中止原因', resume_on: '最迟恢复日期', to: '移交去向',
  department: '接收部门', org_id: '协办组织', starts_at: '开始时间', mode: '方式', place: '地点',
  mediator_ids: '调解员（每行一个编号）', leader_name: '包案领导姓名', leader_title: '职务',
  leader_phone: '领导手机号', due_on: '化解期限', into: '并入案件编号', step: '步骤', court: '法院',
  lawyer: '值班律师（可选）', name: '姓名', firm: '律师事务所', filed_on: '申请日期', accepted_on: '法院受理日期',
  extended: '审查期限延长', result: '裁定结果', decided_on: '裁定日期',
};

export const LITERAL = {
  agreement_performed: { yes: '已履行', partial: '部分履行', no: '未履行' },
  step: { intend: '拟申请', file: '提交申请', accept: '法院受理', decide: '法院裁定', not_accepted: '不予受理' },
  result: { confirmed: '确认有效', rejected: '驳回申请' },
};

export const ENUM_OF_SCHEMA = {
  Referral: 'referral', Satisfaction: 'satisfaction', SuspensionReason: 'suspension_reason',
  ExtensionDecision: 'extension_decision', TransferTarget: 'transfer_to', SessionMode: 'session_mode',
  Category: 'category', Channel: 'channel',
};

export const STATUS_CLASS = {
  received: 'st-received', dispatched: 'st-dispatched', accepted: 'st-accepted', resolved: 'st-resolved',
  unresolved: 'st-unresolved', closed: 'st-closed', withdrawn: 'st-closed', transferred: 'st-closed',
  merged: 'st-closed',
};

const TIME = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  hour12: false,
});

export function when(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : TIME.format(date);
}
